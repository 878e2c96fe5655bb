"""Helpers for broadcast tests: a project directory on disk, loaded through the real spec layer,
and a gateway client for the sandbox fixture."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from smsync.broadcast import BroadcastPlan, Ledger, plan_broadcasts
from smsync.broadcast.send import GroupCheck, group_check
from smsync.gateway import Client
from smsync.gateway.models import Contact
from smsync.plan.fetch import list_group
from smsync.sandbox import SandboxServer
from smsync.spec import load_desired_state, load_project
from smsync.spec.loader import load_suppression
from smsync.spec.model import DesiredState
from smsync.spec.project import Project

USERNAME, PASSWORD = "demo", "demo-pass"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def number(i: int) -> str:
    """A valid Indonesian mobile number, the local way (0812…)."""
    return f"08123{i:07d}"


def e164(i: int) -> str:
    return f"+628123{i:07d}"


def gw(i: int) -> str:
    """The gateway form smsync sends (628…)."""
    return f"628123{i:07d}"


def contacts(n: int, start: int = 0, **fields: Any) -> list[dict[str, Any]]:
    return [{"name": f"Person {i}", "mobile": number(i), **fields} for i in range(start, start + n)]


class BProject:
    """A project directory with groups/*.yaml, broadcasts/*.yaml and smsync.yaml."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config: dict[str, Any] = {"version": 1, "gateway": {"username": USERNAME},
                                       "spec": ["groups/*.yaml", "broadcasts/*.yaml"]}
        self.groups: list[dict[str, Any]] = []
        self.broadcasts: list[dict[str, Any]] = []

    def group(self, name: str, members: list[dict[str, Any]], **extra: Any) -> BProject:
        self.groups.append({"kind": "Group", "name": name, "contacts": members, **extra})
        return self

    def broadcast(self, name: str, template: str, audience: dict[str, Any],
                  **extra: Any) -> BProject:
        self.broadcasts.append({"kind": "Broadcast", "name": name, "audience": audience,
                                "template": template, **extra})
        return self

    def suppress(self, *numbers: str) -> BProject:
        (self.root / "suppression.txt").write_text(
            "# numbers that opted out\n" + "\n".join(numbers) + "\n")
        self.config["suppression_file"] = "suppression.txt"
        return self

    def write(self) -> None:
        (self.root / "groups").mkdir(exist_ok=True)
        (self.root / "broadcasts").mkdir(exist_ok=True)
        (self.root / "smsync.yaml").write_text(yaml.safe_dump(self.config, sort_keys=False))
        (self.root / "groups" / "groups.yaml").write_text(
            yaml.safe_dump_all(self.groups, sort_keys=False, allow_unicode=True)
            if self.groups else "")
        (self.root / "broadcasts" / "broadcasts.yaml").write_text(
            yaml.safe_dump_all(self.broadcasts, sort_keys=False, allow_unicode=True)
            if self.broadcasts else "")

    def load(self) -> tuple[Project, DesiredState]:
        self.write()
        project = load_project(self.root)
        return project, load_desired_state(project)

    def ledger(self) -> Ledger:
        return Ledger(self.root / ".smsync" / "ledger.sqlite")

    def plan(self, ledger: Ledger, now: datetime = NOW,
             remote: dict[str, list[Contact]] | None = None) -> list[BroadcastPlan]:
        project, desired = self.load()
        members = None if remote is None else (lambda g: remote.get(g, []))
        return plan_broadcasts(desired, project, ledger=ledger, now=now, remote_members=members)


@pytest.fixture
def bproject(tmp_path: Path) -> BProject:
    return BProject(tmp_path)


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[Client]:
    with Client(sandbox.url, USERNAME, PASSWORD, retries=2, backoff=0.01) as c:
        yield c


def seed_group(srv: SandboxServer, name: str, members: list[dict[str, Any]]) -> None:
    """What apply would have done: the group and its members on the gateway."""
    for m in members:
        srv.store.add_contact(USERNAME, name=m["name"], mobile=m["mobile"], group=name)


def checked(client: Client, bproject: BProject) -> GroupCheck:
    """What apply gives send_broadcasts: a group send's rows, read from the gateway right
    before the send, checked against the plan and the project's suppression list."""
    project, _ = bproject.load()
    return group_check(lambda g: list_group(client, g), load_suppression(project),
                       project.region)


def messages(srv: SandboxServer) -> list[dict[str, Any]]:
    return list(srv.store.snapshot()["messages"])
