"""What goes on the wire: paths, parameter names and values exactly as the reference spells them."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from smsync.gateway import Client
from tests.support.scripted_server import ScriptedServer

USER, PASSWORD = "sms", "123456"


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


@pytest.fixture
def c(scripted: ScriptedServer) -> Client:
    return Client(scripted.url + "/gw/", USER, PASSWORD, retries=0, allow_plaintext_password=True)


def last(scripted: ScriptedServer) -> tuple[str, dict[str, str]]:
    seen = scripted.seen[-1]
    return seen.path, seen.params


def test_send_sms_type_0(scripted: ScriptedServer, c: Client) -> None:
    scripted.always(b"1701,1")
    c.send_sms("08126531971", "Hallo world", trxid="sms0000000001")
    assert last(scripted) == (
        "/gw/web2sms/api/sendSMS.aspx",
        {
            "username": "sms",
            "mobile": "08126531971",
            "message": "Hallo world",
            "auth": md5("sms12345608126531971"),
            "trxid": "sms0000000001",
            "type": "0",
        },
    )


def test_send_sms_type_3_and_wa(scripted: ScriptedServer, c: Client) -> None:
    scripted.always(b"1701,1")
    c.send_sms("08126531971", "こんにちは世界")
    assert last(scripted)[1]["message"] == "30533093306B3061306F4E16754C"
    assert last(scripted)[1]["type"] == "3"
    assert "trxid" not in last(scripted)[1]
    c.send_wa("08126531971", "hi")
    assert last(scripted)[0] == "/gw/web2sms/api/SendWA.aspx"
    assert last(scripted)[1]["auth"] == md5("sms12345608126531971")


def test_plaintext_forms_on_the_wire(scripted: ScriptedServer, c: Client) -> None:
    scripted.always(b"1701,1")
    expected = {"username": "sms", "mobile": "0812", "message": "Hallo World", "password": "123456"}
    for call, path in [
        (c.send_simple, "/gw/web2sms/api/Send.aspx"),
        (c.send_proxy, "/gw/~proxy/send.php"),
        (c.send_wa_simple, "/gw/web2sms/api/SendWA.aspx"),
        (c.send_wa_proxy, "/gw/~proxy/sendwa.php"),
    ]:
        call("0812", "Hallo World")
        assert last(scripted) == (path, expected)


def test_group_send(scripted: ScriptedServer, c: Client) -> None:
    scripted.always(b"1701,9")
    c.send_group("Marketing", "Hello world")
    assert last(scripted) == (
        "/gw/web2sms/api/SendSMSGroup.aspx",
        {
            "group": "Marketing",
            "msg": "Hello world",
            "message": "Hello world",
            "username": "sms",
            "auth": md5("sms123456"),
        },
    )


def test_phonebook_writes(scripted: ScriptedServer, c: Client) -> None:
    scripted.always(b"1701,1")
    c.add_contact(
        "Rudi ",
        "08123456",
        "Office",
        address="Jl. Bali",
        birth=date(1945, 8, 17),
        desc="Direktur Utama",
    )
    assert last(scripted) == (
        "/gw/web2sms/api/phbkAdd.aspx",
        {
            "username": "sms",
            "name": "Rudi ",
            "mobile": "08123456",
            "group": "Office",
            "address": "Jl. Bali",
            "birth": "19450817",
            "desc": "Direktur Utama",
            "auth": md5("08123456123456"),
        },
    )
    c.add_contact("Ana", "0812", "Office")
    assert set(last(scripted)[1]) == {"username", "name", "mobile", "group", "auth"}
    c.edit_contact(
        372880,
        "Yuli",
        "06177123454",
        "Bos",
        address="Jl. Pati 3",
        birth=date(2010, 8, 17),
        desc="senang main golf",
    )
    assert last(scripted) == (
        "/gw/web2sms/api/phbkEdit.aspx",
        {
            "id": "372880",
            "username": "sms",
            "name": "Yuli",
            "mobile": "06177123454",
            "group": "Bos",
            "address": "Jl. Pati 3",
            "birth": "17 Aug 2010",
            "desc": "senang main golf",
            "auth": md5("372880123456"),
        },
    )
    c.delete_contact(372880)
    assert last(scripted) == (
        "/gw/web2sms/api/phbkDelete.aspx",
        {
            "id": "372880",
            "username": "sms",
            "auth": md5("372880123456"),
        },
    )


def test_lookups(scripted: ScriptedServer, c: Client) -> None:
    scripted.always(b"1704")
    user_auth = md5("sms123456")
    c.list_contacts(page=6, size=10)
    assert last(scripted) == (
        "/gw/web2sms/api/phbkGetList.aspx",
        {"page": "6", "size": "10", "username": "sms", "auth": user_auth},
    )
    c.list_contacts_by_group("Office", page=2, size=5)
    assert last(scripted) == (
        "/gw/web2sms/api/phbkGetListbyGroup.aspx",
        {"page": "2", "size": "5", "group": "Office", "username": "sms", "auth": user_auth},
    )
    c.find_by_name("sar")
    assert last(scripted) == (
        "/gw/web2sms/api/phbkFindName.aspx",
        {"name": "sar", "username": "sms", "auth": user_auth},
    )
    c.find_by_number("0812653")
    assert last(scripted) == (
        "/gw/web2sms/api/phbkFindPhNumber.aspx",
        {"no": "0812653", "number": "0812653", "username": "sms", "auth": user_auth},
    )
    c.list_groups(page=1, size=5)
    assert last(scripted) == (
        "/gw/web2sms/api/groupGetList.aspx",
        {"page": "1", "size": "5", "username": "sms", "auth": user_auth},
    )
    c.find_group("pul")
    assert last(scripted) == (
        "/gw/web2sms/api/groupFind.aspx",
        {"group": "pul", "name": "pul", "username": "sms", "auth": user_auth},
    )
    scripted.always("6928\x80A\x800812\x80G\x80\x80\x80".encode())
    c.get_contact(6928)
    assert last(scripted) == (
        "/gw/web2sms/api/phbkGetCompleteData.aspx",
        {"id": "6928", "username": "sms", "auth": user_auth},
    )


def test_groups_and_account(scripted: ScriptedServer, c: Client) -> None:
    scripted.always(b"1701,849")
    c.add_group("Calon Client")
    assert last(scripted) == (
        "/gw/web2sms/api/groupAdd.aspx",
        {"group": "Calon Client", "username": "sms", "auth": md5("Calon Client123456")},
    )
    c.edit_group(849, "Teman")
    assert last(scripted) == (
        "/gw/web2sms/api/groupEdit.aspx",
        {"id": "849", "group": "Teman", "username": "sms", "auth": md5("849123456")},
    )
    c.delete_group(849)
    assert last(scripted) == (
        "/gw/web2sms/api/groupDelete.aspx",
        {"id": "849", "username": "sms", "auth": md5("849123456")},
    )
    c.change_password("n3w")
    assert last(scripted) == (
        "/gw/web2sms/api/ChangePassword.aspx",
        {
            "username": "sms",
            "newpasw": "n3w",
            "newpass": "n3w",
            "newpassword": "n3w",
            "auth": md5("sms123456"),
        },
    )
    scripted.always(b"1000")
    c.credits()  # now with the new password
    assert last(scripted) == (
        "/gw/web2sms/api/creditsleft.aspx",
        {"username": "sms", "auth": md5("smsn3w")},
    )
    scripted.always(b"DELIVRD")
    assert c.report("77").state == "DELIVRD"
    assert last(scripted) == ("/gw/web2sms/api/Report.aspx", {"msgid": "77"})


@pytest.mark.parametrize(
    "endpoint",
    ["ftp://host", "host:8080", "http://user:pw@host", "http://host/?a=1", "http://host/#x"],
)
def test_bad_endpoints(endpoint: str) -> None:
    with pytest.raises(ValueError, match="endpoint"):
        Client(endpoint, USER, PASSWORD)


def test_bad_arguments_fail_before_any_request(scripted: ScriptedServer, c: Client) -> None:
    for call in (
        lambda: c.list_groups(page=0),
        lambda: c.list_contacts(size=0),
        lambda: c.delete_contact(-1),
        lambda: c.change_password(""),
    ):
        with pytest.raises(ValueError):
            call()
    assert scripted.seen == []
