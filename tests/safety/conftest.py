"""Fixtures for the safety tests: the project builder of tests/plan, wired up here."""

from tests.plan.conftest import make_project, project  # noqa: F401  (fixtures)
