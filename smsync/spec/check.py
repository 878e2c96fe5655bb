"""`smsync validate`: check a project (or one spec file) without touching the network."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smsync.spec.errors import SpecErrors, SpecProblem
from smsync.spec.loader import load_desired_state, load_suppression
from smsync.spec.model import DesiredState
from smsync.spec.project import PROJECT_FILE, Project, load_project


@dataclass
class CheckResult:
    project: Project | None
    state: DesiredState | None
    problems: list[SpecProblem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.state is None:
            return ""
        s = self.state
        absent = sum(1 for g in s.groups if g.state == "absent")
        groups = f"{len(s.groups)} group{'s' if len(s.groups) != 1 else ''}"
        if absent:
            groups += f" ({absent} absent)"
        n_b = len(s.broadcasts)
        n_f = len(s.files)
        return (
            f"ok: {groups}, {s.contact_count} contact{'s' if s.contact_count != 1 else ''}, "
            f"{n_b} broadcast{'s' if n_b != 1 else ''} in {n_f} file{'s' if n_f != 1 else ''}"
        )


def find_project_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding smsync.yaml (else ``start``)."""
    start = start.resolve()
    for d in (start, *start.parents):
        if (d / PROJECT_FILE).is_file():
            return d
    return start


def check(path: Path) -> CheckResult:
    """Validate the project at ``path`` (a directory), or a single spec file."""
    single: list[Path] | None = None
    if path.is_file() and path.name != PROJECT_FILE:
        root = find_project_root(path.parent)
        single = [path.resolve()]
    else:
        root = path.parent if path.is_file() else path
    try:
        project = load_project(root)
    except SpecErrors as e:
        return CheckResult(None, None, e.problems)
    problems: list[SpecProblem] = []
    state = None
    try:
        state = load_desired_state(project, single)
    except SpecErrors as e:
        problems.extend(e.problems)
    try:
        load_suppression(project)
    except SpecErrors as e:
        problems.extend(e.problems)
    return CheckResult(project, state if not problems else None, problems)
