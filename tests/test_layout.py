"""The layout of the tests themselves: a test module is collected by pytest, so one that imports
another runs that module's code a second time and ties two behaviours' tests together. Shared
helpers live in tests/support/, imported like any module."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
ROOT = TESTS.parent


def is_test_module(dotted: str) -> bool:
    """``tests.….test_x``: a module pytest collects."""
    parts = dotted.split(".")
    return len(parts) > 1 and parts[0] == "tests" and parts[-1].startswith("test_")


def imported_test_modules(source: str, module: str) -> list[tuple[int, str]]:
    """(line, test module) of each import in ``source``, the text of ``module``, relative
    imports resolved; anywhere in the file, not only at its top."""
    package = module.split(".")[:-1]
    found: set[tuple[int, str]] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            anchor = package[: len(package) - node.level + 1] if node.level else []
            base = ".".join([*anchor, *([node.module] if node.module else [])])
            # `from tests.cli import test_status_report` imports the module by its last name
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found |= {(node.lineno, name) for name in names if is_test_module(name)}
    return sorted(found)


def test_test_modules_never_import_other_test_modules() -> None:
    offences = [
        f"{path.relative_to(ROOT)}:{line}: imports {name}"
        for path in sorted(TESTS.rglob("test_*.py"))
        for line, name in imported_test_modules(
            path.read_text(encoding="utf-8"),
            ".".join(path.relative_to(ROOT).with_suffix("").parts),
        )
    ]
    assert not offences, "move what they share to tests/support/:\n" + "\n".join(offences)


def test_the_layout_check_sees_every_form_of_import() -> None:
    """The check above means something: each way of importing a test module is caught, and an
    import of a support module is not."""
    source = (
        "import tests.cli.test_status_report\n"
        "from tests.cli.test_status_report import BROADCAST\n"
        "from tests.cli import test_status_report\n"
        "from .test_status_report import BROADCAST\n"
        "from . import test_status_report\n"
        "from ..state.test_shared_state import account\n"
        "from tests.support.project import Project\n"
        "from ..support import project\n"
        "def f() -> None:\n"
        "    from tests.state.test_shared_state import account\n"
    )
    found = imported_test_modules(source, "tests.cli.test_probe")
    assert found == [
        (1, "tests.cli.test_status_report"),
        (2, "tests.cli.test_status_report"),
        (3, "tests.cli.test_status_report"),
        (4, "tests.cli.test_status_report"),
        (5, "tests.cli.test_status_report"),
        (6, "tests.state.test_shared_state"),
        (10, "tests.state.test_shared_state"),
    ]
