"""The client against a running sandbox on a real socket: every endpoint, success and each
documented error path, and the sandbox's protocol switches parsed end to end."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from smsync.gateway import (
    Client,
    Contact,
    DataNotFound,
    DeliveryState,
    GatewayError,
    Group,
    GroupEmpty,
    InsufficientCredit,
    InvalidCredentials,
    InvalidGroupId,
    InvalidGroupName,
    InvalidMessage,
    InvalidMsgId,
    InvalidNumber,
    InvalidPhonebookId,
    InvalidPhonebookName,
    ProcessFailed,
    WhatsAppNotActive,
    count_segments,
)
from smsync.sandbox import SandboxServer
from tests.support.sandbox import PASSWORD, USERNAME, messages

MakeSandbox = Callable[..., SandboxServer]


def make_client(srv: SandboxServer, password: str = PASSWORD, **kw: Any) -> Client:
    opts: dict[str, Any] = {"retries": 2, "backoff": 0.001, "read_timeout": 5.0}
    opts.update(kw)
    return Client(srv.url, USERNAME, password, **opts)


@pytest.fixture
def c(sandbox: SandboxServer) -> Iterator[Client]:
    with make_client(sandbox) as client:
        yield client


# ---- groups ------------------------------------------------------------------------------


def test_group_lifecycle(c: Client) -> None:
    assert c.list_groups().items == []
    office = c.add_group("Office")
    assert isinstance(office, int)
    teman = c.add_group("Teman Kantor")
    assert isinstance(teman, int)
    assert c.list_groups().items == [Group(office, "Office"), Group(teman, "Teman Kantor")]
    assert c.find_group("kan") == [Group(teman, "Teman Kantor")]
    assert c.find_group("nothing-like-this") == []
    c.edit_group(teman, "Teman")
    assert c.find_group("Teman") == [Group(teman, "Teman")]
    c.delete_group(teman)
    assert c.list_groups().items == [Group(office, "Office")]


def test_group_errors(c: Client) -> None:
    c.add_group("Office")
    with pytest.raises(InvalidGroupName):  # 1711: exists (case-insensitively)
        c.add_group("office")
    with pytest.raises(InvalidGroupId):  # 1712
        c.edit_group(999_999, "X")
    with pytest.raises(InvalidGroupId):
        c.delete_group(999_999)
    office = c.find_group("Office")[0].id
    c.add_contact("Rudi", "08123456", "Office")
    with pytest.raises(ProcessFailed):  # 1705: the sandbox refuses to orphan members
        c.delete_group(office)


def test_group_paging(sandbox: SandboxServer, c: Client) -> None:
    for i in range(5):
        sandbox.store.add_group(USERNAME, f"G{i}")
    first, last = c.list_groups(page=1, size=3), c.list_groups(page=2, size=3)
    assert [g.name for g in first.items + last.items] == [f"G{i}" for i in range(5)]
    assert (len(first.items), len(last.items)) == (3, 2)
    assert c.list_groups(page=3, size=3).items == []


# ---- contacts ----------------------------------------------------------------------------


def test_contact_lifecycle(c: Client) -> None:
    c.add_group("Office")
    c.add_group("Bos")
    rudi = c.add_contact(
        "Rudi",
        "08123456",
        "Office",
        address="Jl. Bali",
        birth=date(1945, 8, 17),
        desc="Direktur Utama",
    )
    assert isinstance(rudi, int)
    ana = c.add_contact("Ana Café", "628111222333", "Office")
    assert isinstance(ana, int)
    full = Contact(
        rudi, "Rudi", "08123456", "Office", "Jl. Bali", date(1945, 8, 17), "Direktur Utama"
    )
    assert c.get_contact(rudi) == full
    assert c.list_contacts().items == [full, Contact(ana, "Ana Café", "628111222333", "Office")]
    assert [x.id for x in c.list_contacts_by_group("office").items] == [rudi, ana]
    assert c.list_contacts_by_group("Bos").items == []
    assert [x.id for x in c.find_by_name("caf")] == [ana]
    assert [x.id for x in c.find_by_number("2223")] == [ana]
    assert c.find_by_name("zzz") == [] and c.find_by_number("0000000") == []

    c.edit_contact(
        rudi,
        "Yuli",
        "06177123454",
        "Bos",
        address="Jl. Pati 3",
        birth=date(2010, 8, 17),
        desc="senang main golf",
    )
    assert c.get_contact(rudi) == Contact(
        rudi, "Yuli", "06177123454", "Bos", "Jl. Pati 3", date(2010, 8, 17), "senang main golf"
    )
    c.delete_contact(rudi)
    assert [x.id for x in c.list_contacts().items] == [ana]


def test_contact_errors(c: Client) -> None:
    c.add_group("Office")
    with pytest.raises(InvalidGroupName):  # 1711: unknown group
        c.add_contact("Rudi", "08123456", "Nowhere")
    with pytest.raises(InvalidPhonebookName):  # 1721: empty name
        c.add_contact("", "08123456", "Office")
    with pytest.raises(InvalidNumber):  # 1707
        c.add_contact("Rudi", "not-a-number", "Office")
    with pytest.raises(InvalidPhonebookId):  # 1722
        c.edit_contact(999_999, "Rudi", "08123456", "Office")
    with pytest.raises(InvalidPhonebookId):
        c.delete_contact(999_999)
    with pytest.raises((InvalidPhonebookId, DataNotFound)):
        c.get_contact(999_999)


def test_empty_listings_are_empty_not_errors(c: Client) -> None:
    assert c.list_contacts().items == []
    assert c.list_contacts_by_group("Nowhere").items == []
    assert c.find_by_name("x") == []
    assert c.find_group("x") == []


def test_searches_return_at_most_10_rows(sandbox: SandboxServer, c: Client) -> None:
    sandbox.store.add_group(USERNAME, "Office")
    sandbox.store.bulk_add_contacts(
        USERNAME, [(f"Sari {i}", f"0812000{i:04d}", "Office") for i in range(15)]
    )
    assert len(c.find_by_name("sari")) == 10
    assert len(c.find_by_number("0812000")) == 10


# ---- sends -------------------------------------------------------------------------------


def test_send_sms_and_report(sandbox: SandboxServer, c: Client) -> None:
    result = c.send_sms("628123456789", "Hallo World")
    assert result.msgid
    [msg] = messages(sandbox)
    assert (msg["msgid"], msg["text"], msg["type"]) == (result.msgid, "Hallo World", 0)
    deadline = time.monotonic() + 5
    state = c.report(result.msgid).state
    while not state.is_final and time.monotonic() < deadline:
        time.sleep(0.02)
        state = c.report(result.msgid).state
    assert state is DeliveryState.DELIVRD
    with pytest.raises(InvalidMsgId):  # 1713
        c.report("no-such-msgid")


@pytest.mark.parametrize("text", ["こんにちは世界", "Emoji 😀 ok", "ç ü ¡"])
def test_unicode_sends_arrive_as_written(sandbox: SandboxServer, c: Client, text: str) -> None:
    c.send_sms("628123456789", text)
    [msg] = messages(sandbox)
    assert (msg["text"], msg["type"]) == (text, 3)
    assert msg["segments"] == count_segments(text).segments


def test_gsm7_extension_characters_stay_type_0(sandbox: SandboxServer, c: Client) -> None:
    c.send_sms("628123456789", "Price: 5 [promo] {x} ~ ^ | \\")
    [msg] = messages(sandbox)
    assert msg["type"] == 0 and msg["text"] == "Price: 5 [promo] {x} ~ ^ | \\"


def test_credit_is_charged_per_segment(sandbox: SandboxServer, c: Client) -> None:
    before = c.credits()
    assert before == Decimal(1000)
    text = "a" * 200  # 2 GSM-7 segments
    c.send_sms("628123456789", text)
    assert c.credits() == before - count_segments(text).segments


def test_trxid_deduplicates(sandbox: SandboxServer, c: Client) -> None:
    first = c.send_sms("628123456789", "once", trxid="trx-0001")
    again = c.send_sms("628123456789", "once", trxid="trx-0001")
    assert first.msgid == again.msgid
    assert len(messages(sandbox)) == 1


def test_send_errors(sandbox: SandboxServer, c: Client) -> None:
    with pytest.raises(InvalidMessage):  # 1706
        c.send_sms("628123456789", "")
    with pytest.raises(InvalidNumber):  # 1707
        c.send_sms("12", "hello")
    sandbox.store.set_credit(USERNAME, 0)
    with pytest.raises(InsufficientCredit):  # 1708
        c.send_sms("628123456789", "hello")
    with pytest.raises(ValueError, match="trxid"):
        c.send_sms("628123456789", "hello", trxid="x" * 51)
    assert messages(sandbox) == []


def test_send_wa(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox(no_wa_prefixes=("62899",))
    with make_client(srv) as c:
        assert c.send_wa("628123456789", "halo", trxid="wa-1").msgid
        with pytest.raises(WhatsAppNotActive):  # 1751
            c.send_wa("0899123456", "halo")
    [msg] = messages(srv)
    assert msg["channel"] == "whatsapp"


def test_send_group(sandbox: SandboxServer, c: Client) -> None:
    c.add_group("Marketing")
    c.add_group("Empty")
    c.add_contact("A", "628111111111", "Marketing")
    c.add_contact("B", "628222222222", "Marketing")
    batch = c.send_group("marketing", "Hello world")
    assert batch.msgid
    sent = messages(sandbox)
    assert sorted(m["mobile"] for m in sent) == ["628111111111", "628222222222"]
    assert {m["batch_id"] for m in sent} == {batch.msgid}
    with pytest.raises(GroupEmpty):  # 1709
        c.send_group("Empty", "hi")
    with pytest.raises(InvalidGroupName):  # 1711
        c.send_group("Nowhere", "hi")


@pytest.mark.parametrize(
    ("form", "channel"),
    [
        ("send_simple", "sms"),
        ("send_proxy", "sms"),
        ("send_wa_simple", "whatsapp"),
        ("send_wa_proxy", "whatsapp"),
    ],
)
def test_plaintext_forms(sandbox: SandboxServer, form: str, channel: str) -> None:
    with make_client(sandbox, allow_plaintext_password=True) as c:
        assert getattr(c, form)("628123456789", "Hallo World").msgid
    with (
        make_client(sandbox, password="wrong", allow_plaintext_password=True) as bad,
        pytest.raises(InvalidCredentials),
    ):
        getattr(bad, form)("628123456789", "Hallo World")
    [msg] = messages(sandbox)
    assert (msg["channel"], msg["text"]) == (channel, "Hallo World")


# ---- account -----------------------------------------------------------------------------

WRONG_PASSWORD_CALLS: list[Callable[[Client], object]] = [
    lambda c: c.send_sms("628123456789", "x"),
    lambda c: c.send_wa("628123456789", "x"),
    lambda c: c.send_group("Office", "x"),
    lambda c: c.add_contact("A", "0812345678", "Office"),
    lambda c: c.edit_contact(1, "A", "0812345678", "Office"),
    lambda c: c.delete_contact(1),
    lambda c: c.list_contacts(),
    lambda c: c.list_contacts_by_group("Office"),
    lambda c: c.get_contact(1),
    lambda c: c.find_by_name("A"),
    lambda c: c.find_by_number("0812"),
    lambda c: c.add_group("Office"),
    lambda c: c.edit_group(1, "Office"),
    lambda c: c.delete_group(1),
    lambda c: c.list_groups(),
    lambda c: c.find_group("Off"),
    lambda c: c.change_password("whatever-1"),
    lambda c: c.credits(),
]


@pytest.mark.parametrize("call", WRONG_PASSWORD_CALLS)
def test_wrong_password_is_1702_everywhere(
    sandbox: SandboxServer, call: Callable[[Client], object]
) -> None:
    with (
        make_client(sandbox, password="not-the-password") as bad,
        pytest.raises(InvalidCredentials) as info,
    ):
        call(bad)
    assert "not-the-password" not in str(info.value)


def test_change_password(sandbox: SandboxServer, c: Client) -> None:
    c.change_password("brand-new-pw")
    assert c.list_groups().items == []  # the client now authenticates with the new password
    assert "brand-new-pw" not in repr(c)
    with make_client(sandbox) as old, pytest.raises(InvalidCredentials):
        old.credits()
    with make_client(sandbox, password="brand-new-pw") as new:
        assert new.credits() == Decimal(1000)


def test_request_count(c: Client) -> None:
    c.list_groups()
    c.credits()
    assert c.request_count == 2


# ---- protocol switches, end to end --------------------------------------------------------


def _seed(srv: SandboxServer) -> int:
    srv.store.add_group(USERNAME, "Office")
    return int(
        srv.store.add_contact(
            USERNAME,
            name="José Ñandú",
            mobile="08123456",
            group="Office",
            address="Jl. Bali 5",
            birth=date(1945, 8, 17),
            desc="Direktur",
        )
    )


JOSE = dict(name="José Ñandú", mobile="08123456", group="Office")


def test_short_list_form(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox(list_form="short")
    cid = _seed(srv)
    with make_client(srv) as c:
        [short] = c.list_contacts().items
        assert short == Contact(cid, **JOSE, complete=False)  # type: ignore[arg-type]
        assert c.get_contact(cid).complete
        assert c.get_contact(cid).birth == date(1945, 8, 17)


@pytest.mark.parametrize("separator", ["unicode", "cp1252", "bytes"])
def test_separators(make_sandbox: MakeSandbox, separator: str) -> None:
    srv = make_sandbox(separator=separator)
    cid = _seed(srv)
    srv.store.add_group(USERNAME, "Teman")
    with make_client(srv) as c:
        assert c.list_contacts().items == [
            Contact(
                cid,
                **JOSE,  # type: ignore[arg-type]
                address="Jl. Bali 5",
                birth=date(1945, 8, 17),
                desc="Direktur",
            )
        ]
        assert [g.name for g in c.list_groups().items] == ["Office", "Teman"]
        assert [x.name for x in c.find_by_name("josé")] == ["José Ñandú"]


@pytest.mark.parametrize("form", ["comma", "concat", "colon", "pipe", "bare"])
def test_send_success_forms(make_sandbox: MakeSandbox, form: str) -> None:
    srv = make_sandbox(send_success=form)
    with make_client(srv) as c:
        result = c.send_sms("628123456789", "hi")
    [msg] = messages(srv)
    assert result.msgid == (None if form == "bare" else msg["msgid"])


@pytest.mark.parametrize("form", ["comma", "bare"])
def test_add_success_forms(make_sandbox: MakeSandbox, form: str) -> None:
    srv = make_sandbox(add_success=form)
    with make_client(srv) as c:
        gid = c.add_group("Office")
        cid = c.add_contact("Rudi", "08123456", "Office")
    snap = srv.store.snapshot()
    if form == "bare":
        assert gid is None and cid is None
    else:
        assert gid == snap["groups"][0]["id"] and cid == snap["contacts"][0]["id"]


@pytest.mark.parametrize("form", ["yyyymmdd", "dmy", "iso", "slash"])
def test_birth_forms(make_sandbox: MakeSandbox, form: str) -> None:
    srv = make_sandbox(birth_form=form)
    cid = _seed(srv)
    with make_client(srv) as c:
        assert c.list_contacts().items[0].birth == date(1945, 8, 17)
        c.edit_contact(cid, "José Ñandú", "08123456", "Office", birth=date(2010, 8, 7))
        assert c.get_contact(cid).birth == date(2010, 8, 7)


def test_gateway_errors_name_the_method(c: Client) -> None:
    with pytest.raises(GatewayError, match=r"^groupEdit: 1712 invalid group id"):
        c.edit_group(424242, "X")
