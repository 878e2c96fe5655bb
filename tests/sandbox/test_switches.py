"""Every protocol switch of SandboxConfig, seen on the wire."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from smsync.sandbox import ConfigError, SandboxConfig, SandboxServer
from tests.support.raw_http import Gw, md5
from tests.support.sandbox import PASSWORD, USERNAME

MakeSandbox = Callable[..., SandboxServer]
MakeGw = Callable[[SandboxServer], Gw]
MOBILE = "08123456789"


def _seed(srv: SandboxServer) -> int:
    return srv.store.add_contact(
        USERNAME,
        name="Rudi",
        mobile=MOBILE,
        group="Office",
        address="Jl. Bali",
        birth="19450817",
        desc="Dir",
    )


def test_list_form_short(make_sandbox: MakeSandbox, make_gw: MakeGw) -> None:
    srv = make_sandbox(list_form="short")
    gw = make_gw(srv)
    cid = _seed(srv)
    short = f"{cid}\u0080Rudi\u0080{MOBILE}\u0080Office"
    assert gw.user_auth("phbkGetList") == short
    assert gw.user_auth("phbkGetListbyGroup", group="Office") == short
    assert gw.user_auth("phbkFindName", name="rudi") == short
    # complete data stays complete
    assert gw.user_auth("phbkGetCompleteData", id=cid).count("\u0080") == 6


@pytest.mark.parametrize(
    ("separator", "charset", "field", "record"),
    [
        ("unicode", "utf-8", "\u0080".encode(), "\u0081".encode()),
        ("cp1252", "utf-8", "\u20ac".encode(), "\u0081".encode()),
        ("bytes", "iso-8859-1", b"\x80", b"\x81"),
    ],
)
def test_separators(
    make_sandbox: MakeSandbox,
    make_gw: MakeGw,
    separator: str,
    charset: str,
    field: bytes,
    record: bytes,
) -> None:
    srv = make_sandbox(separator=separator)
    gw = make_gw(srv)
    srv.store.add_contact(USERNAME, name="Ani é", mobile=MOBILE, group="G")
    srv.store.add_contact(USERNAME, name="Budi", mobile=MOBILE, group="G")
    resp = requests.get(
        gw.url("phbkGetList", username=USERNAME, auth=md5(USERNAME, PASSWORD)), timeout=5
    )
    assert resp.headers["Content-Type"] == f"text/plain; charset={charset}"
    raw = resp.content
    first, second = raw.split(record)
    assert first.split(field) == [
        b"1",
        "Ani é".encode(charset),
        MOBILE.encode(),
        b"G",
        b"",
        b"",
        b"",
    ]
    assert second.split(field)[1] == b"Budi"


@pytest.mark.parametrize(
    ("form", "pattern"),
    [
        ("comma", "1701,{}"),
        ("concat", "1701{}"),
        ("colon", "1701:{}"),
        ("pipe", "1701|{}"),
        ("bare", "1701"),
    ],
)
def test_send_success_forms(
    make_sandbox: MakeSandbox, make_gw: MakeGw, form: str, pattern: str
) -> None:
    srv = make_sandbox(send_success=form)
    gw = make_gw(srv)
    body = gw.send_sms(MOBILE, "x", trxid="t")
    msgid = srv.store.snapshot()["messages"][0]["msgid"]
    assert body == pattern.format(msgid)
    assert gw.send_sms(MOBILE, "x", trxid="t") == body
    srv.store.add_contact(USERNAME, name="A", mobile=MOBILE, group="G")
    group_body = gw.get(
        "SendSMSGroup", group="G", msg="x", username=USERNAME, auth=md5(USERNAME, PASSWORD)
    )
    batch = srv.store.snapshot()["messages"][-1]["batch_id"]
    assert group_body == pattern.format(batch)


def test_add_success_bare(make_sandbox: MakeSandbox, make_gw: MakeGw) -> None:
    srv = make_sandbox(add_success="bare")
    gw = make_gw(srv)
    assert gw.add_group("G") == "1701"
    assert gw.add_contact("A", MOBILE, "G") == "1701"
    assert len(srv.store.snapshot()["contacts"]) == 1


@pytest.mark.parametrize(
    ("form", "printed"),
    [
        ("yyyymmdd", "19450817"),
        ("dmy", "17 Aug 1945"),
        ("iso", "1945-08-17"),
        ("slash", "17/08/1945"),
    ],
)
def test_birth_forms(make_sandbox: MakeSandbox, make_gw: MakeGw, form: str, printed: str) -> None:
    srv = make_sandbox(birth_form=form)
    gw = make_gw(srv)
    cid = _seed(srv)
    srv.store.add_contact(USERNAME, name="NoBirth", mobile=MOBILE, group="Office")
    rows = [r.split("\u0080") for r in gw.user_auth("phbkGetList").split("\u0081")]
    assert rows[0][5] == printed and rows[1][5] == ""
    # whatever the output form, every input form is accepted on edit
    assert gw.by_id("phbkEdit", cid, birth="1 jan 2000") == "1701"
    assert gw.user_auth("phbkGetCompleteData", id=cid).split("\u0080")[5] != printed


def test_invalid_config_is_rejected_with_the_setting_named() -> None:
    for bad, name in (
        ({"list_form": "long"}, "list_form"),
        ({"separator": "x"}, "separator"),
        ({"fault_kinds": ("boom",)}, "fault_kinds"),
        ({"fault_rate": 2.0}, "fault_rate"),
        ({"max_page_size": 0}, "max_page_size"),
        ({"birth_form": "us"}, "birth_form"),
        ({"send_success": "x"}, "send_success"),
        ({"add_success": "x"}, "add_success"),
        ({"latency_ms": -1}, "latency_ms"),
    ):
        with pytest.raises(ConfigError, match=name):
            SandboxConfig(**bad)


def test_latency_and_jitter(make_sandbox: MakeSandbox, make_gw: MakeGw) -> None:
    import time

    srv = make_sandbox(latency_ms=60, latency_jitter_ms=40, seed=3)
    gw = make_gw(srv)
    started = time.monotonic()
    for _ in range(3):
        assert gw.user_auth("creditsleft") == "1000"
    elapsed = time.monotonic() - started
    assert 0.18 <= elapsed < 2.0
