"""`smsync validate`: check a project (or one spec file) without touching the network."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smsync.spec.errors import SpecErrors, SpecProblem
from smsync.spec.loader import load_suppression, start_desired_state
from smsync.spec.model import OCCURRENCE_FIELDS, DesiredState
from smsync.spec.project import PROJECT_FILE, Project, load_project
from smsync.spec.yamldoc import YamlDoc, load_yaml_file


@dataclass(frozen=True)
class Declared:
    """What a valid project declares, in numbers."""

    groups: int
    absent_groups: int
    contacts: int
    broadcasts: int
    files: list[Path]


@dataclass
class CheckResult:
    project: Project | None
    declared: Declared | None  # None when there is a problem
    problems: list[SpecProblem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """`smsync validate --format json` (schemas/validate.schema.json)."""
        s = self.declared
        return {
            "version": 1,
            "ok": self.ok,
            "problems": [
                {
                    "file": p.where.file if p.where else None,
                    "line": p.where.line if p.where else 0,
                    "column": p.where.column if p.where else 0,
                    "field": p.field,
                    "message": p.message,
                }
                for p in self.problems
            ],
            "summary": None
            if s is None
            else {
                "groups": s.groups,
                "absent_groups": s.absent_groups,
                "contacts": s.contacts,
                "broadcasts": s.broadcasts,
                "files": [str(f) for f in s.files],
            },
        }

    def summary(self) -> str:
        if self.declared is None:
            return ""
        s = self.declared
        absent = s.absent_groups
        groups = f"{s.groups} group{'s' if s.groups != 1 else ''}"
        if absent:
            groups += f" ({absent} absent)"
        n_b = s.broadcasts
        n_f = len(s.files)
        return (
            f"ok: {groups}, {s.contacts} contact{'s' if s.contacts != 1 else ''}, "
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
        # the contacts are counted, not kept: 100k ContactSpecs nothing here would read
        load = start_desired_state(project, single, keep_contacts=False)
        state = load.finish()
    except SpecErrors as e:
        problems.extend(e.problems)
    try:
        load_suppression(project)
    except SpecErrors as e:
        problems.extend(e.problems)
    if state is not None:
        problems.extend(_template_problems(state))
    if problems or state is None:
        return CheckResult(project, None, problems)
    declared = Declared(
        groups=len(state.groups),
        absent_groups=sum(1 for g in state.groups if g.state == "absent"),
        contacts=sum(map(load.declared_contacts, state.groups)),
        broadcasts=len(state.broadcasts),
        files=state.files,
    )
    return CheckResult(project, declared, problems)


def _template_problems(state: DesiredState) -> list[SpecProblem]:
    """Templates certain to fail every render (plan names the recipient when it renders;
    validate says it before any plan, at the template's line). The broadcasts' files are read
    again: the desired state keeps only where each broadcast's name is."""
    if not state.broadcasts:
        return []  # and jinja2 is not even imported
    from smsync.spec.templates import template_problems

    problems: list[SpecProblem] = []
    docs: dict[str, list[YamlDoc]] = {}
    for b in state.broadcasts:
        file = b.where.file
        if file not in docs:
            docs[file] = load_yaml_file(Path(file), file)[0]
        doc = next((d for d in docs[file] if _names(d, b.name)), None)
        if doc is None:
            continue
        vars_ = doc.data.get("vars")
        known = list(vars_) if isinstance(vars_, dict) else []
        if b.mode == "recurring":
            known.extend(OCCURRENCE_FIELDS)
        problems.extend(
            SpecProblem(where, "template", message)
            for where, message in template_problems(
                doc,
                b.template,
                known,
                group_send=b.via == "group-call" and b.audience.group is not None,
            )
        )
    return problems


def _names(doc: YamlDoc, name: str) -> bool:
    data = doc.data
    return isinstance(data, dict) and data.get("kind") == "Broadcast" and data.get("name") == name
