"""Project directories on disk, built the way a user writes them: ``smsync.yaml`` plus spec
files of YAML documents, loaded by the real spec layer or driven through the real CLI.

Two builders share one core (``ProjectDir``: the files and how they load):

- ``Project`` drives the command line against a gateway URL (``project.plan()``,
  ``project.apply()``), and rewrites its groups at each ``write_groups``;
- ``BProject`` collects groups and broadcasts (``.group(...).broadcast(...)``) and plans
  broadcasts through the library, with a ledger, for tests of the broadcast layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner, Result

from smsync.broadcast import BroadcastPlan, Ledger, plan_broadcasts
from smsync.broadcast.send import GroupCheck, group_check
from smsync.cli import cli
from smsync.gateway import Client
from smsync.gateway.models import Contact
from smsync.manager import GatewayOptions, Manager
from smsync.plan.fetch import list_group
from smsync.spec import load_desired_state, load_project
from smsync.spec import project as spec_project
from smsync.spec.loader import load_suppression
from smsync.spec.model import DesiredState
from tests.support.numbers import number
from tests.support.sandbox import PASSWORD, USERNAME

#: "Now" for broadcast plans: schedules in tests are relative to this instant.
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

#: One contact as a spec file declares it.
ContactDoc = dict[str, Any]


class ProjectDir:
    """A project directory: ``smsync.yaml`` (``config``, plus per-write extras) and spec files
    of YAML documents, loaded through the real spec layer."""

    def __init__(self, root: Path, config: dict[str, Any]) -> None:
        self.root = root
        self.config = config

    def write_config(self, **extra: Any) -> None:
        """Write ``smsync.yaml``: ``config`` with ``extra`` keys replacing its own."""
        text = yaml.safe_dump({**self.config, **extra}, sort_keys=False)
        (self.root / "smsync.yaml").write_text(text, encoding="utf-8")

    def write_documents(
        self, rel: str, docs: Sequence[Mapping[str, Any]], *, allow_unicode: bool = False
    ) -> Path:
        """Write ``docs`` as one multi-document YAML file at ``rel`` (empty for no docs)."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=allow_unicode)
        path.write_text(text if docs else "", encoding="utf-8")
        return path

    def load(self) -> tuple[spec_project.Project, DesiredState]:
        """The project and its desired state, as the spec layer reads them from disk."""
        project = load_project(self.root)
        return project, load_desired_state(project)


# --- the command line against a gateway ----------------------------------------------------------


class Project(ProjectDir):
    """A project whose spec is ``groups/*.yaml``, run through the real CLI in-process against
    the gateway at ``endpoint``."""

    def __init__(self, root: Path, endpoint: str) -> None:
        super().__init__(
            root,
            {
                "version": 1,
                "gateway": {"endpoint": endpoint, "username": USERNAME},
                "spec": ["groups/*.yaml"],
            },
        )
        self.endpoint = endpoint
        self.write_config()

    def write_groups(self, *docs: dict[str, Any], name: str = "groups") -> None:
        """Replace every file in groups/ by one file of these groups (see ``group``)."""
        for old in (self.root / "groups").glob("*.yaml"):
            old.unlink()
        self.write_documents(f"groups/{name}.yaml", [{"kind": "Group", **d} for d in docs])

    def run(
        self, *args: str, env: dict[str, str] | None = None, input: str | None = None
    ) -> Result:
        """Run the real CLI in-process; assert the password never shows up."""
        full_env = {"SMSYNC_PASSWORD": PASSWORD, "CI": "", "NO_COLOR": "1"}
        full_env.update(env or {})
        result = CliRunner().invoke(cli, list(args), env=full_env, input=input)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert PASSWORD not in result.output
        assert PASSWORD not in (result.stderr or "")
        return result

    def plan(self, *args: str) -> Result:
        return self.run("plan", str(self.root), "--detailed-exitcode", "--show-pii", *args)

    def apply(self, *args: str) -> Result:
        return self.run("apply", str(self.root), "--auto-approve", *args)

    def manager(self) -> Manager:
        """The library's Manager for this project (the password from a chmod 600 file)."""
        secret = self.root / ".password"
        secret.write_text(PASSWORD)
        secret.chmod(0o600)
        return Manager(self.root, GatewayOptions(password_file=secret))


def group(name: str, contacts: Iterable[ContactDoc] = (), **extra: Any) -> dict[str, Any]:
    """A group document for ``Project.write_groups`` (no contacts when ``state: absent``)."""
    doc = {"name": name, **extra}
    if extra.get("state") != "absent":
        doc["contacts"] = list(contacts)
    return doc


def contact(i: int, name: str | None = None, **extra: Any) -> ContactDoc:
    """Contact ``i`` (named "Kontak i" unless ``name``) with number ``number(i)``."""
    return {"name": name or f"Kontak {i}", "mobile": number(i), **extra}


# --- broadcasts through the library ------------------------------------------------------------


class BProject(ProjectDir):
    """A project with groups/*.yaml and broadcasts/*.yaml, built up by chained calls and written
    by ``write`` (or ``load``/``plan``, which write first)."""

    def __init__(self, root: Path) -> None:
        super().__init__(
            root,
            {
                "version": 1,
                "gateway": {"username": USERNAME},
                "spec": ["groups/*.yaml", "broadcasts/*.yaml"],
            },
        )
        self.groups: list[dict[str, Any]] = []
        self.broadcasts: list[dict[str, Any]] = []

    def group(self, name: str, members: list[ContactDoc], **extra: Any) -> BProject:
        self.groups.append({"kind": "Group", "name": name, "contacts": members, **extra})
        return self

    def broadcast(
        self, name: str, template: str, audience: dict[str, Any], **extra: Any
    ) -> BProject:
        self.broadcasts.append(
            {"kind": "Broadcast", "name": name, "audience": audience, "template": template, **extra}
        )
        return self

    def suppress(self, *numbers: str) -> BProject:
        (self.root / "suppression.txt").write_text(
            "# numbers that opted out\n" + "\n".join(numbers) + "\n"
        )
        self.config["suppression_file"] = "suppression.txt"
        return self

    def write(self) -> None:
        self.write_config()
        self.write_documents("groups/groups.yaml", self.groups, allow_unicode=True)
        self.write_documents("broadcasts/broadcasts.yaml", self.broadcasts, allow_unicode=True)

    def load(self) -> tuple[spec_project.Project, DesiredState]:
        self.write()
        return super().load()

    def ledger(self) -> Ledger:
        return Ledger(self.root / ".smsync" / "ledger.sqlite")

    def plan(
        self, ledger: Ledger, now: datetime = NOW, remote: dict[str, list[Contact]] | None = None
    ) -> list[BroadcastPlan]:
        project, desired = self.load()
        members = None if remote is None else (lambda g: remote.get(g, []))
        return plan_broadcasts(desired, project, ledger=ledger, now=now, remote_members=members)


def contacts(n: int, start: int = 0, **fields: Any) -> list[ContactDoc]:
    """``n`` contacts "Person i" with numbers ``number(i)`` from ``start``, each with ``fields``."""
    return [{"name": f"Person {i}", "mobile": number(i), **fields} for i in range(start, start + n)]


def checked(client: Client, bproject: BProject) -> GroupCheck:
    """What apply gives send_broadcasts: a group send's rows, read from the gateway right
    before the send, checked against the plan and the project's suppression list."""
    project, _ = bproject.load()
    return group_check(lambda g: list_group(client, g), load_suppression(project), project.region)
