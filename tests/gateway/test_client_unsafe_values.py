"""The client never stores a value that could break (or forge) a record of a list answer.

List answers join fields with Chr(128) and records with Chr(129) (U+0080/U+0081, or U+20AC for
Chr(128) on a cp1252 server), and a gateway may print stored values raw. So a phonebook value
holding a separator or another control character is refused before any request is made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from smsync.gateway import (
    Client,
    GatewayError,
    ProtocolError,
    SmsyncError,
    TransportError,
    UnsafeValue,
)
from smsync.sandbox import SandboxConfig, SandboxServer
from tests.support.sandbox import PASSWORD, USERNAME

MakeSandbox = Callable[..., Any]
MOBILE = "08123456789"

UNSAFE = {
    "field separator U+0080": "\x80",
    "record separator U+0081": "\x81",
    "cp1252 field separator U+20AC": "\u20ac",
    "newline": "\n",
    "tab": "\t",
    "NUL": "\x00",
    "ESC": "\x1b",
    "DEL": "\x7f",
    "C1 CSI": "\x9b",
}

# (call with the bad text put into one parameter, the parameter's name)
WRITES: dict[str, tuple[Callable[[Client, str], object], str]] = {
    "add_contact name": (lambda c, v: c.add_contact(f"Ana{v}", MOBILE, "Office"), "name"),
    "add_contact mobile": (lambda c, v: c.add_contact("Ana", f"0812{v}3456", "Office"), "mobile"),
    "add_contact group": (lambda c, v: c.add_contact("Ana", MOBILE, f"Off{v}ice"), "group"),
    "add_contact address": (
        lambda c, v: c.add_contact("Ana", MOBILE, "Office", address=f"Jl.{v}"),
        "address",
    ),
    "add_contact desc": (
        lambda c, v: c.add_contact("Ana", MOBILE, "Office", desc=f"{v}boss"),
        "desc",
    ),
    "edit_contact name": (lambda c, v: c.edit_contact(1, f"Ana{v}", MOBILE, "Office"), "name"),
    "edit_contact mobile": (lambda c, v: c.edit_contact(1, "Ana", f"{v}0812", "Office"), "mobile"),
    "edit_contact group": (lambda c, v: c.edit_contact(1, "Ana", MOBILE, f"Office{v}"), "group"),
    "edit_contact address": (
        lambda c, v: c.edit_contact(1, "Ana", MOBILE, "Office", address=v),
        "address",
    ),
    "edit_contact desc": (
        lambda c, v: c.edit_contact(1, "Ana", MOBILE, "Office", desc=f"a{v}b"),
        "desc",
    ),
    "add_group": (lambda c, v: c.add_group(f"Sales{v}"), "group"),
    "edit_group": (lambda c, v: c.edit_group(1, f"Sales{v}"), "group"),
    "send_group": (lambda c, v: c.send_group(f"Office{v}", "hello"), "group"),
}


@pytest.fixture(scope="module")
def shared() -> Iterator[SandboxServer]:
    """One sandbox for the whole matrix below: none of its calls may reach it."""
    with SandboxServer(SandboxConfig()) as srv:
        srv.store.ensure_account(USERNAME, PASSWORD)
        srv.store.add_contact(USERNAME, name="Ana", mobile=MOBILE, group="Office")
        yield srv


@pytest.mark.parametrize("char", list(UNSAFE.values()), ids=list(UNSAFE))
@pytest.mark.parametrize("write", list(WRITES), ids=list(WRITES))
def test_unsafe_phonebook_values_are_refused_before_any_request(
    shared: SandboxServer, write: str, char: str
) -> None:
    before = shared.store.snapshot()
    call, param = WRITES[write]
    with Client(shared.url, USERNAME, PASSWORD, retries=0) as c:
        with pytest.raises(UnsafeValue) as info:
            call(c, char)
        assert c.request_count == 0
    assert shared.stats()["requests"] == 0
    assert shared.store.snapshot() == before
    assert info.value.param == param
    assert f"'{param}'" in str(info.value)
    assert f"U+{ord(char):04X}" in str(info.value)


def test_unsafe_value_is_a_definite_refusal_not_an_unknown_outcome() -> None:
    err = UnsafeValue("phbkAdd", "name", "contains U+0081")
    # Callers record a definite failure for a GatewayError that is none of these.
    assert isinstance(err, GatewayError) and isinstance(err, SmsyncError)
    assert not isinstance(err, TransportError | ProtocolError)
    assert err.code == "unsafe-value"


def test_unsafe_value_message_is_one_short_line_without_the_value(
    make_sandbox: MakeSandbox,
) -> None:
    srv = make_sandbox()
    huge = "A" * 100_000 + "\x81" + "9\x80Fake"
    with Client(srv.url, USERNAME, PASSWORD) as c, pytest.raises(UnsafeValue) as info:
        c.add_contact(huge, MOBILE, "Office")
    message = str(info.value)
    assert len(message) < 200 and "\n" not in message and message.isprintable()
    assert "AAAA" not in message and "Fake" not in message
    assert "'name'" in message and "U+0081" in message and "100001" in message


@pytest.mark.parametrize(
    "text", ["José Ñandú", "Jl. Bali 3/4, RT 05", "山田 太郎", "Zoë 😀", "O'Brien & Sons"]
)
def test_ordinary_text_in_any_script_is_written(make_sandbox: MakeSandbox, text: str) -> None:
    srv = make_sandbox()
    with Client(srv.url, USERNAME, PASSWORD) as c:
        c.add_group(text)
        c.add_contact(text, MOBILE, text, address=text, desc=text)
        [contact] = c.list_contacts().items
    assert (contact.name, contact.group, contact.address, contact.desc) == (text,) * 4
