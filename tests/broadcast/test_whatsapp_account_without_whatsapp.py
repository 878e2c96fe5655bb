"""1751 ("NotActiveWA") may mean the account has no WhatsApp, not the recipient: when the first
WhatsApp sends of a run all answer it, WhatsApp stops for the run with a reason that says so,
instead of failing (or falling back) recipient by recipient. Real HTTP against the sandbox."""

from __future__ import annotations

from collections.abc import Callable

from smsync.broadcast import send_broadcasts
from smsync.broadcast.send import WA_PROBE_SENDS
from smsync.gateway import Client
from smsync.sandbox import SandboxServer
from tests.support.project import BProject, contacts
from tests.support.sandbox import PASSWORD, USERNAME, messages


def test_whatsapp_stops_when_the_first_sends_all_answer_1751(
    bproject: BProject, make_sandbox: Callable[..., SandboxServer]
) -> None:
    srv = make_sandbox(no_wa_prefixes=("62",))  # nobody has WhatsApp: as an account without it
    bproject.group("Office", contacts(8))
    audience = {"contacts": {"groups": ["Office"]}}
    bproject.broadcast("wa", "Hi {{ name }}", audience, channel="whatsapp")
    bproject.broadcast("sms", "Yo {{ name }}", audience)
    with Client(srv.url, USERNAME, PASSWORD) as client, bproject.ledger() as ledger:
        report = send_broadcasts(client, bproject.plan(ledger), ledger, concurrency=1)
    wa, sms = report.results
    assert [f.code for f in wa.failed] == ["1751"] * WA_PROBE_SENDS
    assert wa.not_attempted == 8 - WA_PROBE_SENDS
    assert wa.stopped_reason is not None and "no WhatsApp" in wa.stopped_reason
    assert report.stopped_reason is not None and "no WhatsApp" in report.stopped_reason
    # only WhatsApp stops: the SMS broadcast of the same run goes out
    assert sms.sent == 8
    assert [m["channel"] for m in messages(srv)] == ["sms"] * 8


def test_whatsapp_goes_on_when_one_of_the_first_sends_is_delivered(
    bproject: BProject, make_sandbox: Callable[..., SandboxServer]
) -> None:
    # the first contact has WhatsApp, the others not: recipients without it, not the account
    srv = make_sandbox(no_wa_prefixes=tuple(f"628123{i:07d}" for i in range(1, 6)))
    bproject.group("Office", contacts(6))
    bproject.broadcast(
        "wa", "Hi {{ name }}", {"contacts": {"groups": ["Office"]}}, channel="whatsapp"
    )
    with Client(srv.url, USERNAME, PASSWORD) as client, bproject.ledger() as ledger:
        [wa] = send_broadcasts(client, bproject.plan(ledger), ledger, concurrency=1).results
    assert (wa.sent, len(wa.failed), wa.not_attempted) == (1, 5, 0)
    assert wa.stopped_reason is None
