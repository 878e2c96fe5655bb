"""A plan says, per broadcast, how the messages to send split by operator (from the number, by
phonenumbers' carrier data): in the text and Markdown plans and in the JSON plan, which its
schema describes. A group send's breakdown comes from the group's rows the plan read."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import carrier

from smsync import operators
from smsync.broadcast.model import Recipient
from smsync.broadcast.plan import operator_shares
from smsync.operators import UNKNOWN, operator_of
from tests.support.project import Project, group

SCHEMA = json.loads(resources.files("smsync.schemas").joinpath("plan.schema.json").read_text())

OFFICE = [
    {"name": "Tsel A", "mobile": "081234567890"},  # Telkomsel
    {"name": "Tsel B", "mobile": "081334567890"},  # Telkomsel
    {"name": "Xl", "mobile": "081712345678"},  # XL
    {"name": "Isat", "mobile": "085712345678"},  # Indosat Ooredoo Hutchison
    {"name": "New", "mobile": "082812345678"},  # valid, but no operator in the carrier data
]


def write_broadcast(
    project: Project, audience: dict[str, Any], template: str, via: str = "", **gw: Any
) -> None:
    project.write_groups(group("Office", OFFICE))
    doc = {"kind": "Broadcast", "name": "salam", "audience": audience, "template": template}
    if via:
        doc["via"] = via
    project.write_documents("broadcasts/b.yaml", [doc], allow_unicode=True)
    project.write_config(
        spec=["groups/*.yaml", "broadcasts/*.yaml"],
        gateway={"endpoint": project.endpoint, "username": "demo", **gw},
    )


PER_CONTACT = {"contacts": {"groups": ["Office"]}}
LINE = (
    "operators: Telkomsel 2 (2 segments) · Indosat Ooredoo Hutchison 1 (1 segment) · "
    "XL 1 (1 segment) · unknown 1 (1 segment)"
)


def test_text_plan_shows_how_the_messages_split_by_operator(project: Project, sandbox: Any) -> None:
    write_broadcast(project, PER_CONTACT, "Halo {{ name }}")

    plan = project.plan()

    assert f"  {LINE}" in plan.output.splitlines(), plan.output


def test_markdown_plan_shows_the_operator_breakdown(project: Project, sandbox: Any) -> None:
    write_broadcast(project, PER_CONTACT, "Halo {{ name }}")

    plan = project.run("plan", str(project.root), "--format", "markdown")

    assert f"- {LINE}" in plan.output.splitlines(), plan.output


def test_json_plan_carries_the_breakdown_and_validates_against_its_schema(
    project: Project, sandbox: Any
) -> None:
    write_broadcast(project, PER_CONTACT, "Selamat pagi {{ name }}, {{ name }}" + " ✓" * 40)

    data = json.loads(project.run("plan", str(project.root), "--format", "json").stdout)

    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    operators = data["broadcasts"][0]["operators"]
    assert list(operators) == ["Telkomsel", "Indosat Ooredoo Hutchison", "XL", "unknown"]
    assert operators["Telkomsel"] == {"messages": 2, "segments": 4, "unicode": 2}
    assert operators["unknown"]["messages"] == 1


def test_a_group_call_breaks_down_the_group_rows_it_read(project: Project, sandbox: Any) -> None:
    write_broadcast(project, {"group": "Office"}, "Rapat jam 9", via="group-call")

    data = json.loads(project.run("plan", str(project.root), "--format", "json").stdout)

    (b,) = data["broadcasts"]
    assert b["kind"] == "group"
    assert {op: s["messages"] for op, s in b["operators"].items()} == {
        "Telkomsel": 2,
        "Indosat Ooredoo Hutchison": 1,
        "XL": 1,
        "unknown": 1,
    }


def test_alpha_sender_unicode_warning_is_in_the_json_plan(project: Project, sandbox: Any) -> None:
    write_broadcast(project, PER_CONTACT, "Selamat 😊", sender="alpha")

    data = json.loads(project.run("plan", str(project.root), "--format", "json").stdout)

    (b,) = data["broadcasts"]
    assert any(
        "3 Unicode message(s) from an alpha sender (2 to Telkomsel, 1 to XL)" in w
        for w in b["warnings"]
    ), b["warnings"]
    assert b["operators"]["XL"]["unicode"] == 1


def test_nothing_to_send_shows_no_breakdown(project: Project, sandbox: Any) -> None:
    write_broadcast(project, PER_CONTACT, "Halo {{ name }}")
    assert project.apply().exit_code == 0

    plan = project.plan()

    assert "operators:" not in plan.output


def audience(n: int) -> list[Recipient]:
    """``n`` recipients spread over every Indonesian mobile prefix the carrier data names, with
    national numbers of 10 to 13 digits, as a real audience has them."""
    from phonenumbers.carrierdata import CARRIER_DATA

    prefixes = sorted(k for k in CARRIER_DATA if k.startswith("628"))
    return [
        Recipient(
            f"+{prefixes[i % len(prefixes)]}{(i * 7919) % 10**9:09d}"[: 13 + i % 4],
            "",
            "",
            "",
            "x",
            "GSM-7",
            1,
            1,
            None,
            "to_send",
        )
        for i in range(n)
    ]


def test_the_breakdown_of_100k_recipients_asks_the_carrier_data_a_few_hundred_times() -> None:
    sending = audience(100_000)
    operators._MEMO.clear()

    shares = operator_shares(sending)

    assert sum(s.messages for s in shares.values()) == 100_000
    assert {"Telkomsel", "XL", "Indosat Ooredoo Hutchison"} <= set(shares)
    # full lookups: one per prefix and length (what it costs is measured in benchmarks/, not
    # timed here)
    assert len(operators._MEMO) < 300


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\+62[1-9][0-9]{6,11}", fullmatch=True))
def test_operator_memo_answers_what_the_carrier_data_answers_for_any_number(
    number: str,
) -> None:
    try:
        full = carrier.name_for_number(phonenumbers.parse(number), "en") or UNKNOWN
    except phonenumbers.NumberParseException:
        full = UNKNOWN
    assert operator_of(number) == full
