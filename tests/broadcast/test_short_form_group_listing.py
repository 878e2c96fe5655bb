"""A gateway may list contacts in the short form (id, name, mobile, group: address, birth and
desc unknown, not empty). An audience read from such a listing whose filter, template or
birthday schedule reads those fields gets them from the complete records: otherwise it would
select nobody (or wish nobody a happy birthday) and say "nothing to send"."""

from __future__ import annotations

from collections.abc import Callable

from smsync.sandbox import SandboxServer
from tests.support.numbers import gw
from tests.support.project import Project
from tests.support.sandbox import USERNAME, messages


def _short_form_gateway(
    make_sandbox: Callable[..., SandboxServer], make_project: Callable[[SandboxServer], Project]
) -> tuple[SandboxServer, Project]:
    sandbox = make_sandbox(list_form="short")
    project = make_project(sandbox)
    sandbox.store.add_contact(USERNAME, name="Ada", mobile=gw(1), group="Pelanggan", desc="VIP")
    sandbox.store.add_contact(USERNAME, name="Budi", mobile=gw(2), group="Pelanggan", desc="")
    project.write_groups()
    return sandbox, project


def test_where_on_a_short_form_listing_selects_by_the_complete_records(
    make_sandbox: Callable[..., SandboxServer], make_project: Callable[[SandboxServer], Project]
) -> None:
    sandbox, project = _short_form_gateway(make_sandbox, make_project)
    audience = {"contacts": {"groups": ["Pelanggan"], "where": {"desc": ["VIP"]}}}
    doc = {"kind": "Broadcast", "name": "promo", "audience": audience, "template": "Halo"}
    project.write_documents("broadcasts/b.yaml", [doc])
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"])

    assert "1 recipient: 1 to send" in project.plan().output
    assert project.apply().exit_code == 0
    assert [m["mobile"] for m in messages(sandbox)] == [gw(1)]


def test_template_field_on_a_short_form_listing_is_the_contacts_own(
    make_sandbox: Callable[..., SandboxServer], make_project: Callable[[SandboxServer], Project]
) -> None:
    sandbox, project = _short_form_gateway(make_sandbox, make_project)
    doc = {
        "kind": "Broadcast",
        "name": "promo",
        "audience": {"group": "Pelanggan"},
        "template": "Halo {{ name }} ({{ desc | default('pelanggan') }})",
    }
    project.write_documents("broadcasts/b.yaml", [doc])
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"])

    assert project.apply().exit_code == 0
    assert sorted(m["text"] for m in messages(sandbox)) == ["Halo Ada (VIP)", "Halo Budi ()"]
