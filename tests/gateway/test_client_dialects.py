"""The client against gateways that speak the protocol's other dialects, as the public clients
of the same white-label server show them: a code followed by markup, underscore-only lookup
paths, a `number`-only phone search, the balance at the other path, an endpoint written with
its API path, and the text and MD5 choices the reference leaves open. Each dialect is a
sandbox switch; everything runs over real HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsync.gateway import (
    ERRORS_BY_CODE,
    Client,
    GatewayError,
    InsufficientCredit,
    InvalidCredentials,
    InvalidGroupName,
    UnableToProcess,
)
from smsync.gateway.wire import leading_code, raise_for_code
from smsync.sandbox import SandboxServer
from tests.support.sandbox import PASSWORD, USERNAME, messages, seed_group
from tests.support.scripted_server import ScriptedServer

MakeSandbox = Callable[..., SandboxServer]
MARKUP = "<html><body><h1>Error</h1></body></html>"


def client(server: SandboxServer, **options: object) -> Client:
    return Client(server.url, USERNAME, PASSWORD, retries=0, **options)  # type: ignore[arg-type]


# ---- return codes -----------------------------------------------------------------------------


def test_code_followed_by_markup_is_read_as_that_code(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(error_suffix=MARKUP)
    with (
        Client(server.url, USERNAME, "wrong", retries=0) as wrong,
        pytest.raises(InvalidCredentials),
    ):
        wrong.credits()
    with client(server) as gw:
        with pytest.raises(InvalidGroupName):
            gw.add_contact("Budi", "081234567890", "NoSuchGroup")
        assert gw.list_groups().items == []  # 1704 + markup is an empty listing
        assert gw.find_by_name("nobody") == []


def test_insufficient_credit_with_markup_stops_a_send(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(error_suffix=MARKUP)
    server.store.ensure_account("poor", "poor-pass", credit=0)
    with (
        Client(server.url, "poor", "poor-pass", retries=0) as gw,
        pytest.raises(InsufficientCredit),
    ):
        gw.send_sms("081234567890", "hello", trxid="t-1")


def test_unable_to_process_stays_its_own_answer(scripted: ScriptedServer) -> None:
    scripted.always(b"Unable to process your request<br>")
    with Client(scripted.url, USERNAME, PASSWORD, retries=0) as gw, pytest.raises(UnableToProcess):
        gw.credits()


# ---- spellings ---------------------------------------------------------------------------------


def test_phone_search_finds_on_a_gateway_that_reads_only_number(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(number_param="number")
    seed_group(
        server,
        "Office",
        [{"name": "Budi", "mobile": "081234567890"}, {"name": "Siti", "mobile": "085700001111"}],
    )
    with client(server) as gw:
        found = gw.find_by_number("0812345")
    assert [c.name for c in found] == ["Budi"]


def test_phone_search_finds_on_a_gateway_that_reads_only_no(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(number_param="no")
    seed_group(
        server,
        "Office",
        [{"name": "Budi", "mobile": "081234567890"}, {"name": "Siti", "mobile": "085700001111"}],
    )
    with client(server) as gw:
        assert [c.name for c in gw.find_by_number("0857")] == ["Siti"]


def test_every_known_spelling_of_a_parameter_is_sent(scripted: ScriptedServer) -> None:
    scripted.always(b"1704")
    with Client(scripted.url, USERNAME, PASSWORD, retries=0) as gw:
        gw.find_by_number("0812")
        gw.find_group("Off")
    phone, group = scripted.seen[0].params, scripted.seen[1].params
    assert phone["no"] == phone["number"] == "0812"
    assert group["group"] == group["name"] == "Off"


def test_group_send_and_password_change_carry_every_spelling(scripted: ScriptedServer) -> None:
    scripted.always(b"1701,55")
    with Client(scripted.url, USERNAME, PASSWORD, retries=0) as gw:
        gw.send_group("Office", "hello")
        scripted.always(b"1701")
        gw.change_password("n3w-secret")
    send, change = scripted.seen[0].params, scripted.seen[1].params
    assert send["msg"] == send["message"] == "hello"
    assert change["newpasw"] == change["newpass"] == "n3w-secret"


def test_lookups_fall_back_to_underscore_paths_and_remember_it(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(paths="underscore")
    seed_group(server, "Office", [{"name": "Budi", "mobile": "081234567890"}])
    with client(server) as gw:
        assert [c.name for c in gw.list_contacts(1, 10).items] == ["Budi"]
        first = gw.request_count
        assert [c.name for c in gw.list_contacts_by_group("Office").items] == ["Budi"]
        assert [c.name for c in gw.find_by_name("Bu")] == ["Budi"]
        # learned once: the other lookups go straight to the underscore spelling
        assert gw.request_count - first == 2
        assert gw.path_spelling == "underscore"
    assert first == 2


def test_camel_only_gateway_needs_no_fallback(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(paths="camel")
    seed_group(server, "Office", [{"name": "Budi", "mobile": "081234567890"}])
    with client(server) as gw:
        assert len(gw.list_contacts().items) == 1
        assert gw.request_count == 1


# ---- hosts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["/web2sms/api", "/Web2SMS/api/", "/web2sms"])
def test_endpoint_written_with_its_api_path_works(make_sandbox: MakeSandbox, suffix: str) -> None:
    server = make_sandbox()
    with Client(server.url + suffix, USERNAME, PASSWORD, retries=0) as gw:
        assert gw.credits() == 1000
        assert gw.list_groups().items == []
        assert gw.endpoint == server.url


@pytest.mark.parametrize("where", ["api", "root"])
def test_balance_is_found_at_either_path(make_sandbox: MakeSandbox, where: str) -> None:
    server = make_sandbox(credits_path=where)
    with client(server) as gw:
        assert gw.credits() == 1000
        assert gw.credits() == 1000
        # the second call goes straight to the path that answered
        assert gw.request_count == (2 if where == "api" else 3)


def test_proxy_forms_reach_the_proxy_on_its_own_port(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(proxy_port=0)
    assert server.proxy_url != server.url
    with Client(
        server.url,
        USERNAME,
        PASSWORD,
        retries=0,
        allow_plaintext_password=True,
        proxy_endpoint=server.proxy_url,
    ) as gw:
        assert gw.send_proxy("081234567890", "hello").msgid
    assert [m["text"] for m in messages(server)] == ["hello"]


# ---- text and MD5 ------------------------------------------------------------------------------


def test_accented_text_goes_as_unicode_unless_gsm7_is_allowed(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox()
    with client(server) as gw:
        gw.send_sms("081234567890", "Café à 5€", trxid="a")
    with client(server, gsm7_as_type0=True) as gw:
        gw.send_sms("081234567890", "Café à 5€", trxid="b")
    sent = messages(server)
    assert [(m["type"], m["text"]) for m in sent] == [(3, "Café à 5€"), (0, "Café à 5€")]


def test_plain_ascii_still_goes_as_type_0(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox()
    with client(server) as gw:
        gw.send_sms("081234567890", "Hello [world] {x}", trxid="a")
    assert messages(server)[0]["type"] == 0


def test_md5_charset_is_a_setting(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(md5_charset="cp1252")
    server.store.ensure_account("ani", "pässwörd", credit=10)
    with Client(server.url, "ani", "pässwörd", retries=0) as gw, pytest.raises(InvalidCredentials):
        gw.credits()
    with Client(server.url, "ani", "pässwörd", retries=0, md5_charset="cp1252") as gw:
        assert gw.credits() == 10


def test_an_unknown_md5_charset_is_refused() -> None:
    with pytest.raises(ValueError, match="md5_charset"):
        Client("http://127.0.0.1:1", USERNAME, PASSWORD, md5_charset="ebcdic")


# ---- the code rule, over any body ---------------------------------------------------------------


@given(
    st.sampled_from(sorted(ERRORS_BY_CODE)),
    st.text().filter(lambda t: not t[:1] or t[0] not in "0123456789.\x80\x81\u20ac"),
)
def test_any_error_code_is_its_error_whatever_follows(code: str, tail: str) -> None:
    body = code + tail
    if body.strip()[:4] != code:  # leading whitespace in the tail cannot move the code
        return
    assert leading_code(body) == code
    with pytest.raises(GatewayError) as info:
        raise_for_code("test", body)
    assert info.value.code == code


@given(st.integers(min_value=0, max_value=99), st.text(alphabet="\x80\x81\u20ac0123456789."))
def test_digits_or_a_separator_after_four_digits_are_not_a_code(n: int, tail: str) -> None:
    body = f"17{n:02d}" + (tail or "5")
    assert leading_code(body) is None
