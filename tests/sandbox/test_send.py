"""Sending: sendSMS / Send / ~proxy / SendWA / SendSMSGroup, credit, trxid, errors."""

from __future__ import annotations

import requests

from smsync.sandbox import SandboxServer
from tests.support.raw_http import Gw, md5
from tests.support.sandbox import PASSWORD, USERNAME, messages

MOBILE = "081234567890"


def credit(gw: Gw) -> int:
    return int(gw.user_auth("creditsleft"))


def signed_send(
    gw: Gw,
    endpoint: str,
    mobile: str,
    message: str,
    *,
    username: str = USERNAME,
    password: str = PASSWORD,
    signed_mobile: str | None = None,
    **params: str | int,
) -> str:
    """``endpoint`` asked to send ``message`` to ``mobile``, its auth the MD5 of ``username``,
    ``password`` and ``signed_mobile`` (the mobile sent, unless told otherwise)."""
    return gw.get(
        endpoint,
        username=username,
        mobile=mobile,
        message=message,
        auth=md5(username, password, signed_mobile or mobile),
        **params,
    )


def test_send_sms_success_records_message_and_charges(gw: Gw, sandbox: SandboxServer) -> None:
    body = gw.send_sms(MOBILE, "Hallo world", trxid="t1", type=0)
    code, msgid = body.split(",")
    assert code == "1701" and msgid
    [msg] = messages(sandbox)
    assert msg["msgid"] == msgid and msg["mobile"] == MOBILE and msg["text"] == "Hallo world"
    assert msg["channel"] == "sms" and msg["type"] == 0 and msg["segments"] == 1
    assert msg["trxid"] == "t1" and msg["status"] == "SENT" and msg["batch_id"] is None
    assert credit(gw) == 999


def test_send_sms_international_and_plus_numbers(gw: Gw) -> None:
    assert gw.send_sms("6281234567890", "x").startswith("1701,")
    assert gw.send_sms("+6281234567890", "x").startswith("1701,")


def test_send_sms_errors(gw: Gw, sandbox: SandboxServer) -> None:
    assert signed_send(gw, "sendSMS", MOBILE, "x", password="wrong") == "1702"
    assert signed_send(gw, "sendSMS", MOBILE, "x", username="nobody") == "1702"
    # auth over a different mobile than the one sent
    assert signed_send(gw, "sendSMS", MOBILE, "x", signed_mobile="0811111111") == "1702"
    assert gw.send_sms(MOBILE, "") == "1706"
    assert gw.send_sms(MOBILE, "a" * 5001) == "1706"
    for bad in ("12345", "0812abc4567", "08" + "1" * 20, "", "0012345678"):
        assert gw.send_sms(bad, "x") == "1707", bad
    assert gw.send_sms(MOBILE, "x", trxid="t" * 51) == "1705"
    assert gw.send_sms(MOBILE, "x", type=5) == "1705"
    assert gw.send_sms(MOBILE, "zz", type=3) == "1706"  # not hex
    assert gw.send_sms(MOBILE, "0041004", type=3) == "1706"  # not whole UTF-16 units
    assert gw.send_sms(MOBILE, "D800", type=3) == "1706"  # lone surrogate
    assert messages(sandbox) == [] and credit(gw) == 1000


def test_max_lengths_are_accepted(gw: Gw) -> None:
    assert gw.send_sms(MOBILE, "a" * 5000).startswith("1701,")
    assert gw.send_sms(MOBILE, "x", trxid="t" * 50).startswith("1701,")


def test_type3_hex_is_decoded_and_charged_as_ucs2(gw: Gw, sandbox: SandboxServer) -> None:
    text = "こんにちは世界"
    assert text.encode("utf-16-be").hex().upper() == "30533093306B3061306F4E16754C"
    assert gw.send_sms(MOBILE, "30533093306B3061306F4E16754C", type=3).startswith("1701,")
    [msg] = messages(sandbox)
    assert msg["text"] == text and msg["type"] == 3 and msg["segments"] == 1
    # 71 UCS-2 characters: two parts of 67
    assert gw.send_sms(MOBILE, ("é" * 71).encode("utf-16-be").hex(), type=3).startswith("1701")
    assert messages(sandbox)[1]["segments"] == 2
    assert credit(gw) == 1000 - 1 - 2


def test_credit_per_gsm7_segment(gw: Gw, sandbox: SandboxServer) -> None:
    cases = [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("{" * 80, 1),
        ("{" * 81, 2),  # extension characters count 2
        ("€" + "a" * 158, 1),
        ("€" + "a" * 159, 2),
        ("é" * 70, 1),  # é is in GSM-7
        ("ç" * 70, 1),
        ("ç" * 71, 2),  # ç is not (only Ç): the message goes UCS-2
    ]
    spent = 0
    for text, segments in cases:
        assert gw.send_sms(MOBILE, text).startswith("1701,"), text
        assert messages(sandbox)[-1]["segments"] == segments, text
        spent += segments
    assert credit(gw) == 1000 - spent


def test_insufficient_credit_sends_nothing(gw: Gw, sandbox: SandboxServer) -> None:
    sandbox.store.set_credit(USERNAME, 1)
    assert gw.send_sms(MOBILE, "a" * 161) == "1708"
    assert messages(sandbox) == [] and credit(gw) == 1
    assert gw.send_sms(MOBILE, "a").startswith("1701,")
    assert credit(gw) == 0
    assert gw.send_sms(MOBILE, "a") == "1708"


def test_trxid_repeat_returns_first_body_and_sends_nothing(gw: Gw, sandbox: SandboxServer) -> None:
    first = gw.send_sms(MOBILE, "one", trxid="abc")
    assert gw.send_sms(MOBILE, "one", trxid="abc") == first
    assert gw.send_sms(MOBILE, "different text", trxid="abc") == first
    assert len(messages(sandbox)) == 1 and credit(gw) == 999
    # another trxid, or no trxid, sends again
    assert gw.send_sms(MOBILE, "one", trxid="abd") != first
    assert gw.send_sms(MOBILE, "one") != first
    assert len(messages(sandbox)) == 3


def test_trxid_is_scoped_to_the_account(gw: Gw, sandbox: SandboxServer) -> None:
    sandbox.store.upsert_account("other", "other-pass", credit=10)
    mine = gw.send_sms(MOBILE, "x", trxid="same")
    theirs = signed_send(
        gw, "sendSMS", MOBILE, "x", username="other", password="other-pass", trxid="same"
    )
    assert theirs.startswith("1701,") and theirs != mine


def test_failed_send_does_not_consume_the_trxid(gw: Gw, sandbox: SandboxServer) -> None:
    sandbox.store.set_credit(USERNAME, 0)
    assert gw.send_sms(MOBILE, "x", trxid="retry") == "1708"
    sandbox.store.set_credit(USERNAME, 5)
    assert gw.send_sms(MOBILE, "x", trxid="retry").startswith("1701,")


def proxy_send(sandbox: SandboxServer, path: str, password: str) -> requests.Response:
    """A send through the ~proxy ``path``, with the plain ``password`` on the query."""
    params = {"username": USERNAME, "mobile": MOBILE, "message": "hi", "password": password}
    return requests.get(sandbox.url + path, params=params, timeout=5)


def test_plain_password_endpoints(gw: Gw, sandbox: SandboxServer) -> None:
    assert gw.get(
        "Send", username=USERNAME, mobile=MOBILE, message="a", password=PASSWORD
    ).startswith("1701,")
    assert gw.get("send", username=USERNAME, mobile=MOBILE, message="a", password="nope") == "1702"
    for path, channel in (("/~proxy/send.php", "sms"), ("/~proxy/sendwa.php", "whatsapp")):
        resp = proxy_send(sandbox, path, PASSWORD)
        assert resp.status_code == 200 and resp.text.startswith("1701,")
        assert messages(sandbox)[-1]["channel"] == channel
        bad = proxy_send(sandbox, path, "x")
        assert bad.text == "1702"


def test_send_wa(make_sandbox: object, make_gw: object) -> None:
    srv = make_sandbox(no_wa_prefixes=("62899",))  # type: ignore[operator]
    gw: Gw = make_gw(srv)  # type: ignore[operator]
    body = signed_send(gw, "SendWA", MOBILE, "a" * 400, trxid="w1")
    assert body.startswith("1701,")
    [msg] = srv.store.snapshot()["messages"]
    assert msg["channel"] == "whatsapp" and msg["segments"] == 1  # 1 credit per WA message
    # trxid dedup applies to WA too
    assert signed_send(gw, "SendWA", MOBILE, "a", trxid="w1") == body
    # no WhatsApp: by normalised prefix, whatever form the number is written in
    for number in ("0899123456789", "62899123456789"):
        assert signed_send(gw, "SendWA", number, "a") == "1751"
    assert gw.get(
        "SendWA", username=USERNAME, mobile=MOBILE, message="a", password=PASSWORD
    ).startswith("1701,")
    assert signed_send(gw, "SendWA", MOBILE, "a", password="bad") == "1702"
    assert len(srv.store.snapshot()["messages"]) == 2
    assert int(gw.user_auth("creditsleft")) == 998


def _group_with(gw: Gw, sandbox: SandboxServer, name: str, mobiles: list[str]) -> None:
    assert gw.add_group(name).startswith("1701")
    for i, m in enumerate(mobiles):
        sandbox.store.add_contact(USERNAME, name=f"c{i}", mobile=m, group=name)


def group_send(gw: Gw, group: str, text: str, param: str = "msg") -> str:
    return gw.get(
        "SendSMSGroup",
        group=group,
        username=USERNAME,
        auth=md5(USERNAME, PASSWORD),
        **{param: text},
    )


def test_group_send_one_message_per_member(gw: Gw, sandbox: SandboxServer) -> None:
    mobiles = ["081111111111", "6281222222222", "081111111111"]  # duplicates get two messages
    _group_with(gw, sandbox, "Marketing", mobiles)
    body = group_send(gw, "marketing", "Hello {world}")  # group name case-insensitive
    code, batch = body.split(",")
    assert code == "1701" and batch
    sent = messages(sandbox)
    assert [m["mobile"] for m in sent] == mobiles
    assert {m["batch_id"] for m in sent} == {batch}
    assert len({m["msgid"] for m in sent}) == 3
    assert all(m["segments"] == 1 for m in sent)
    assert credit(gw) == 997
    assert group_send(gw, "Marketing", "again", param="message").startswith("1701,")
    assert len(messages(sandbox)) == 6


def test_group_send_errors(gw: Gw, sandbox: SandboxServer) -> None:
    _group_with(gw, sandbox, "Team", ["081111111111", "081222222222"])
    assert gw.add_group("Empty").startswith("1701")
    assert (
        gw.get("SendSMSGroup", group="Team", msg="x", username=USERNAME, auth=md5(USERNAME, "bad"))
        == "1702"
    )
    assert group_send(gw, "Empty", "x") == "1709"
    assert group_send(gw, "Nope", "x") == "1711"
    assert group_send(gw, "Team", "") == "1706"
    assert group_send(gw, "Team", "a" * 161) == "1706"
    assert group_send(gw, "Team", "a" * 160).startswith("1701,")
    # all-or-nothing: 2 members x 1 credit but only 1 left
    sandbox.store.set_credit(USERNAME, 1)
    assert group_send(gw, "Team", "x") == "1708"
    assert len(messages(sandbox)) == 2 and credit(gw) == 1
