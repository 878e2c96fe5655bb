"""Helpers for end-to-end plan/apply tests: a project directory and the real CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from smsync.cli import cli

USERNAME, PASSWORD = "demo", "demo-pass"  # the account of the `sandbox` fixture

Contact = dict[str, Any]


def number(i: int) -> str:
    """A valid Indonesian mobile number, written the local way (0812…)."""
    return f"08123{i:07d}"


def gw(i: int) -> str:
    """The same number in the form smsync sends to the gateway."""
    return f"628123{i:07d}"


class Project:
    def __init__(self, root: Path, endpoint: str) -> None:
        self.root = root
        self.endpoint = endpoint
        self.write_config()

    def write_config(self, **extra: Any) -> None:
        cfg: dict[str, Any] = {
            "version": 1,
            "gateway": {"endpoint": self.endpoint, "username": USERNAME},
            "spec": ["groups/*.yaml"],
        }
        cfg.update(extra)
        (self.root / "smsync.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))

    def write_groups(self, *docs: dict[str, Any], name: str = "groups") -> None:
        folder = self.root / "groups"
        folder.mkdir(exist_ok=True)
        for old in folder.glob("*.yaml"):
            old.unlink()
        text = yaml.safe_dump_all([{"kind": "Group", **d} for d in docs], sort_keys=False)
        (folder / f"{name}.yaml").write_text(text)

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


def group(name: str, contacts: Iterable[Contact] = (), **extra: Any) -> dict[str, Any]:
    doc = {"name": name, **extra}
    if extra.get("state") != "absent":
        doc["contacts"] = list(contacts)
    return doc


def contact(i: int, name: str | None = None, **extra: Any) -> Contact:
    return {"name": name or f"Kontak {i}", "mobile": number(i), **extra}


@pytest.fixture
def project(tmp_path: Path, sandbox: Any) -> Project:
    return Project(tmp_path, sandbox.url)


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[[Any], Project]:
    def make(server: Any) -> Project:
        root = tmp_path / f"p{server.url.rsplit(':', 1)[1]}"
        root.mkdir()
        return Project(root, server.url)

    return make


def remote_contacts(server: Any, group_name: str | None = None) -> list[dict[str, Any]]:
    snap = server.store.snapshot()
    rows = [c for c in snap["contacts"] if c.get("account", USERNAME) == USERNAME]
    if group_name is not None:
        rows = [c for c in rows if c["group"].casefold() == group_name.casefold()]
    return rows


def remote_groups(server: Any) -> list[str]:
    snap = server.store.snapshot()
    return sorted(g["name"] for g in snap["groups"] if g.get("account", USERNAME) == USERNAME)
