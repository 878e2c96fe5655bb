"""The sandbox gateway as the tests use it: one demo account, and reads of the sandbox's own
state (``Store.snapshot()``), which is the independent record tests check smsync against."""

from __future__ import annotations

from typing import Any

from smsync.sandbox import SandboxConfig, SandboxServer

USERNAME = "demo"
#: Distinctive on purpose: any occurrence in output, files or reprs is a leak.
PASSWORD = "demo-pass"
CREDIT = 1000


def start_sandbox(**config: Any) -> SandboxServer:
    """A started sandbox (in-memory unless ``db_path`` is given) holding the demo account with
    ``CREDIT`` credits. The caller stops it."""
    srv = SandboxServer(SandboxConfig(**config)).start()
    srv.store.ensure_account(USERNAME, PASSWORD, credit=CREDIT)
    return srv


def remote_contacts(server: SandboxServer, group_name: str | None = None) -> list[dict[str, Any]]:
    """The demo account's contacts on the sandbox, of one group (any case) or of all."""
    snap = server.store.snapshot()
    rows = [c for c in snap["contacts"] if c.get("account", USERNAME) == USERNAME]
    if group_name is not None:
        rows = [c for c in rows if c["group"].casefold() == group_name.casefold()]
    return rows


def remote_groups(server: SandboxServer) -> list[str]:
    """The demo account's group names on the sandbox, sorted."""
    snap = server.store.snapshot()
    return sorted(g["name"] for g in snap["groups"] if g.get("account", USERNAME) == USERNAME)


def messages(server: SandboxServer) -> list[dict[str, Any]]:
    """Every message the sandbox accepted, in order."""
    return list(server.store.snapshot()["messages"])


def messages_to(server: SandboxServer, mobile: str) -> int:
    """How many messages the sandbox accepted for ``mobile`` (gateway form, ``gw(i)``)."""
    return sum(1 for m in messages(server) if m["mobile"] == mobile)


def seed_group(server: SandboxServer, name: str, members: list[dict[str, Any]]) -> None:
    """What apply would have done: the group and its members on the gateway."""
    for m in members:
        server.store.add_contact(USERNAME, name=m["name"], mobile=m["mobile"], group=name)
