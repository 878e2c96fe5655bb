"""Helpers shared by the test suite: plain modules, imported like any module
(``from tests.support.project import Project``). The conftest.py files only wire them up as
fixtures; nothing here is a fixture itself."""
