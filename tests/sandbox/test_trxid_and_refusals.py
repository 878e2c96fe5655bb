"""Two gateway behaviours the reference leaves open, as sandbox switches: a trxid that also
remembers failed sends, and an HTTP 403 refusal (optionally only on some endpoints)."""

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


# ---- trxid_remembers_failures ------------------------------------------------------------


def test_by_default_a_failed_send_leaves_its_trxid_free(
    make_sandbox: MakeSandbox, make_gw: MakeGw
) -> None:
    srv = make_sandbox()
    gw = make_gw(srv)
    srv.store.set_credit(USERNAME, 0)
    assert gw.send_sms(MOBILE, "hi", trxid="t1") == "1708"
    srv.store.set_credit(USERNAME, 5)
    assert gw.send_sms(MOBILE, "hi", trxid="t1").startswith("1701,")


def test_trxid_remembers_failures_answers_the_first_failure_again(
    make_sandbox: MakeSandbox, make_gw: MakeGw
) -> None:
    srv = make_sandbox(trxid_remembers_failures=True)
    gw = make_gw(srv)
    srv.store.set_credit(USERNAME, 0)
    assert gw.send_sms(MOBILE, "hi", trxid="t1") == "1708"
    srv.store.set_credit(USERNAME, 5)
    assert gw.send_sms(MOBILE, "hi", trxid="t1") == "1708"  # nothing sent, nothing charged
    assert srv.store.snapshot()["messages"] == []
    assert srv.store.credit(USERNAME) == 5
    ok = gw.send_sms(MOBILE, "hi", trxid="t2")  # a new trxid is a new send
    assert ok.startswith("1701,")
    assert gw.send_sms(MOBILE, "hi", trxid="t2") == ok  # successes are remembered as ever
    assert len(srv.store.snapshot()["messages"]) == 1


def test_trxid_remembers_a_refused_number_too(make_sandbox: MakeSandbox, make_gw: MakeGw) -> None:
    srv = make_sandbox(trxid_remembers_failures=True)
    gw = make_gw(srv)
    assert gw.send_sms("12", "hi", trxid="t3") == "1707"
    assert (
        gw.get(
            "sendSMS",
            username=USERNAME,
            mobile=MOBILE,
            message="hi",
            trxid="t3",
            auth=md5(USERNAME, PASSWORD, MOBILE),
        )
        == "1707"
    )
    assert srv.store.snapshot()["messages"] == []


def test_a_send_that_fails_authentication_binds_no_trxid(
    make_sandbox: MakeSandbox, make_gw: MakeGw
) -> None:
    srv = make_sandbox(trxid_remembers_failures=True)
    gw = make_gw(srv)
    assert (
        gw.get("sendSMS", username=USERNAME, mobile=MOBILE, message="hi", trxid="t4", auth="0" * 32)
        == "1702"
    )
    assert gw.send_sms(MOBILE, "hi", trxid="t4").startswith("1701,")


# ---- the 403 fault -----------------------------------------------------------------------


def _get(srv: SandboxServer, endpoint: str, **params: str) -> requests.Response:
    return requests.get(f"{srv.url}/web2sms/api/{endpoint}.aspx", params=params, timeout=5)


def test_fault_403_refuses_with_a_short_body_and_applies_nothing(
    make_sandbox: MakeSandbox,
) -> None:
    srv = make_sandbox(fault_rate=1.0, fault_kinds=("403",), seed=1)
    srv.store.add_contact(USERNAME, name="Ana", mobile=MOBILE, group="Office")
    before = srv.store.snapshot()
    resp = _get(
        srv,
        "sendSMS",
        username=USERNAME,
        mobile=MOBILE,
        message="hi",
        auth=md5(USERNAME, PASSWORD, MOBILE),
    )
    assert (resp.status_code, resp.text) == (403, "Forbidden")
    resp = _get(
        srv,
        "SendSMSGroup",
        username=USERNAME,
        group="Office",
        msg="hi",
        auth=md5(USERNAME, PASSWORD),
    )
    assert (resp.status_code, resp.text) == (403, "Forbidden")
    assert srv.store.snapshot() == before
    assert srv.stats()["fault_403"] == 2


def test_faults_can_be_limited_to_some_endpoints(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox(fault_rate=1.0, fault_kinds=("403",), fault_paths=("sendsmsgroup",))
    srv.store.add_contact(USERNAME, name="Ana", mobile=MOBILE, group="Office")
    single = _get(
        srv,
        "sendSMS",
        username=USERNAME,
        mobile=MOBILE,
        message="hi",
        auth=md5(USERNAME, PASSWORD, MOBILE),
    )
    assert single.status_code == 200 and single.text.startswith("1701,")
    group = _get(
        srv,
        "SendSMSGroup",
        username=USERNAME,
        group="Office",
        msg="hi",
        auth=md5(USERNAME, PASSWORD),
    )
    assert group.status_code == 403
    assert len(srv.store.snapshot()["messages"]) == 1
    assert srv.stats()["faults"] == 1


def test_fault_paths_are_endpoint_names_in_any_case() -> None:
    assert SandboxConfig(fault_paths=("SendSMSGroup", "phbk_getList")).fault_paths == (
        "sendsmsgroup",
        "phbkgetlist",
    )
    with pytest.raises(ConfigError, match=r"fault_paths: 'sendsms\.aspx' is not an endpoint"):
        SandboxConfig(fault_paths=("sendsms.aspx",))


def test_default_fault_kinds_stay_the_three_transport_faults() -> None:
    assert SandboxConfig().fault_kinds == ("1703", "drop", "drop-after")
