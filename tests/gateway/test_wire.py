"""Every body form the client must accept (docs/protocol.md, "Answers"), from bytes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from smsync.gateway import wire
from smsync.gateway.errors import (
    ERRORS_BY_CODE,
    DataNotFound,
    GatewayError,
    InternalServerError,
    InvalidCredentials,
    InvalidMsgId,
    ProtocolError,
    UnableToProcess,
)
from smsync.gateway.models import Contact, DeliveryState, Group

F, R = "\x80", "\x81"  # field / record separators as text


def body(raw: bytes) -> str:
    return wire.decode_body(raw)


# ---- decoding ----------------------------------------------------------------------------------


def test_utf8_body() -> None:
    assert body("1\x80Rudi Hartono\x80Bandung – Jl. Asia Afrika".encode()) == (
        "1\x80Rudi Hartono\x80Bandung – Jl. Asia Afrika"
    )


def test_utf8_bom_is_dropped() -> None:
    assert body(b"\xef\xbb\xbf1701,42") == "1701,42"


def test_latin1_fallback_when_not_utf8() -> None:
    # "José" in latin-1 is not valid UTF-8
    assert body(b"Jos\xe9") == "José"


def test_raw_separator_bytes_become_separator_characters() -> None:
    raw = b"1\x80Jos\xe9\x80081234\x80Office\x811\x80Ana\x800812\x80Office"
    contacts = wire.parse_list("phbkGetList", body(raw), wire.parse_contact)
    assert [c.name for c in contacts] == ["José", "Ana"]
    assert all(not c.complete for c in contacts)


# ---- return codes ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(ERRORS_BY_CODE))
def test_each_error_code_raises_its_class(code: str) -> None:
    with pytest.raises(ERRORS_BY_CODE[code]) as info:
        wire.parse_ok("phbkEdit", body(code.encode()))
    assert info.value.code == code
    assert str(info.value).startswith(f"phbkEdit: {code}")


def test_error_code_with_trailing_whitespace() -> None:
    with pytest.raises(InvalidCredentials):
        wire.parse_send("sendSMS", body(b"1702\r\n"))


def test_error_code_with_detail_text() -> None:
    with pytest.raises(InvalidCredentials) as info:
        wire.parse_send("sendSMS", body(b"1702 invalid user"))
    assert "invalid user" in str(info.value)


def test_unknown_code_is_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="unknown return code 1799"):
        wire.parse_ok("groupEdit", body(b"1799"))
    with pytest.raises(ProtocolError, match="unknown return code 1799"):
        wire.parse_list("groupFind", body(b"1799"), wire.parse_group)


def test_unable_to_process() -> None:
    with pytest.raises(UnableToProcess):
        wire.parse_send("sendSMS", body(b"Unable to process your request. Please try again."))
    with pytest.raises(UnableToProcess):
        wire.parse_list("phbkGetList", body(b"Unable to process your request"), wire.parse_group)


@pytest.mark.parametrize("raw", [b"", b"<html>Server Error</html>", b"OK", b"-", "ÿ".encode()])
def test_garbage_is_protocol_error_never_a_crash(raw: bytes) -> None:
    for parse in (
        lambda t: wire.parse_send("sendSMS", t),
        lambda t: wire.parse_add("phbkAdd", t),
        lambda t: wire.parse_ok("phbkEdit", t),
        lambda t: wire.parse_credits("creditsleft", t),
        lambda t: wire.parse_report("Report", t),
        lambda t: wire.parse_list("phbkGetList", t, wire.parse_contact),
    ):
        with pytest.raises(ProtocolError):
            parse(body(raw))


def test_protocol_error_quotes_a_bounded_part_of_the_body() -> None:
    huge = "<html>" + "x" * 10_000
    with pytest.raises(ProtocolError) as info:
        wire.parse_send("sendSMS", huge)
    assert "<html>" in str(info.value)
    assert len(str(info.value)) < 300


# ---- sends -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "msgid"),
    [
        (b"1701,123456", "123456"),
        (b"1701123456", "123456"),
        (b"1701:123456", "123456"),
        (b"1701|123456", "123456"),
        (b"1701,abc-42\r\n", "abc-42"),
        (b"1701", None),
        (b"1701\r\n", None),
        (b"1701,", None),
    ],
)
def test_send_success_forms(raw: bytes, msgid: str | None) -> None:
    result = wire.parse_send("sendSMS", body(raw))
    assert result.msgid == msgid
    assert result.raw == body(raw)


def test_send_error_is_gateway_error() -> None:
    with pytest.raises(GatewayError) as info:
        wire.parse_send("SendWA", body(b"1751"))
    assert info.value.code == "1751"


# ---- adds / edits ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "new_id"),
    [(b"1701,372880", 372880), (b"1701", None), (b"1701:7", 7), (b"1701 \r\n", None)],
)
def test_add_success_forms(raw: bytes, new_id: int | None) -> None:
    assert wire.parse_add("phbkAdd", body(raw)) == new_id


def test_add_success_with_non_numeric_id_is_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="numeric id"):
        wire.parse_add("groupAdd", body(b"1701,abc"))


def test_ok_accepts_1701_with_anything_after() -> None:
    wire.parse_ok("phbkDelete", body(b"1701"))
    wire.parse_ok("phbkDelete", body(b"1701,done"))


# ---- lists -------------------------------------------------------------------------------------

FULL = ["7", "Rudi", "08123456", "Office", "Jl. Bali", "19450817", "Direktur Utama"]
RUDI = Contact(7, "Rudi", "08123456", "Office", "Jl. Bali", date(1945, 8, 17), "Direktur Utama")
SHORT_ANA = Contact(8, "Ana", "628111", "Office", complete=False)


def _utf8(text: str) -> bytes:
    return text.encode()


@pytest.mark.parametrize(
    "raw",
    [
        # default: U+0080 / U+0081 in UTF-8
        _utf8(F.join(FULL) + R + F.join(["8", "Ana", "628111", "Office"])),
        # cp1252 field separator U+20AC
        _utf8("€".join(FULL) + R + "€".join(["8", "Ana", "628111", "Office"])),
        # raw bytes 0x80 / 0x81 (latin-1 body)
        (F.join(FULL) + R + F.join(["8", "Ana", "628111", "Office"])).encode("latin-1"),
        # trailing record separator, trailing field separators, CRLF
        _utf8(F.join(FULL) + F + R + F.join(["8", "Ana", "628111", "Office"]) + F + R + "\r\n"),
        # leading "1701,"
        _utf8("1701," + F.join(FULL) + R + F.join(["8", "Ana", "628111", "Office"])),
    ],
    ids=["unicode", "cp1252", "bytes", "trailing", "leading-1701"],
)
def test_contact_list_forms(raw: bytes) -> None:
    assert wire.parse_list("phbkGetList", body(raw), wire.parse_contact) == [RUDI, SHORT_ANA]


def test_euro_sign_in_a_field_of_a_u0080_body_is_text() -> None:
    fields = ["1", "Toko €uro", "0812", "Office", "", "", "5€ off"]
    [c] = wire.parse_list("phbkGetList", body(_utf8(F.join(fields))), wire.parse_contact)
    assert (c.name, c.desc) == ("Toko €uro", "5€ off")


def test_full_record_with_empty_optional_fields_stays_full() -> None:
    [c] = wire.parse_list("x", F.join(["1", "A", "0812", "G", "", "", ""]), wire.parse_contact)
    assert c.complete and c.address == "" and c.birth is None and c.desc == ""


def test_record_whose_id_starts_with_an_error_code_is_a_record() -> None:
    [c] = wire.parse_list("x", F.join(["17020", "A", "0812", "G"]), wire.parse_contact)
    assert c.id == 17020
    [g] = wire.parse_list("x", F.join(["1702", "A"]), wire.parse_group)
    assert g == Group(1702, "A")


def test_1704_is_an_empty_list() -> None:
    assert wire.parse_list("phbkFindName", body(b"1704"), wire.parse_contact) == []
    assert wire.parse_list("phbkFindName", body(b"1704\r\n"), wire.parse_contact) == []


def test_1701_with_nothing_after_is_not_an_empty_list() -> None:
    # 1704 says "empty"; a search read as empty by mistake could add a contact twice
    for answer in (b"1701,", b"1701"):
        with pytest.raises(ProtocolError, match="without records"):
            wire.parse_list("groupFind", body(answer), wire.parse_group)


def test_list_error_code_raises() -> None:
    with pytest.raises(InvalidCredentials):
        wire.parse_list("groupGetList", body(b"1702"), wire.parse_group)
    with pytest.raises(InternalServerError):
        wire.parse_list("groupGetList", body(b"1703"), wire.parse_group)


def test_group_records_with_extra_trailing_fields() -> None:
    raw = _utf8(F.join(["1", "Office", "12", "x"]) + R + F.join(["2", "Teman", ""]) + R)
    assert wire.parse_list("groupGetList", body(raw), wire.parse_group) == [
        Group(1, "Office"),
        Group(2, "Teman"),
    ]


@pytest.mark.parametrize(
    "fields",
    [
        ["x", "A", "0812", "G"],
        ["1", "A", "0812"],
        ["1", "A", "0812", "G", "addr", "bad"],
        ["1", "A", "0812", "G", "", "not a date", ""],
        ["1", "A", "0812", "G", "", "", "", "extra"],
    ],
)
def test_malformed_contact_records_are_protocol_errors(fields: list[str]) -> None:
    with pytest.raises(ProtocolError, match="malformed record"):
        wire.parse_list("phbkGetList", F.join(fields), wire.parse_contact)


def test_malformed_group_record() -> None:
    with pytest.raises(ProtocolError):
        wire.parse_list("groupGetList", F.join(["one", "Office"]), wire.parse_group)


# ---- birth -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19450817", date(1945, 8, 17)),
        ("17 Aug 2010", date(2010, 8, 17)),
        ("17 aug 2010", date(2010, 8, 17)),
        ("7 August 2010", date(2010, 8, 7)),
        ("2010-08-17", date(2010, 8, 17)),
        ("17/08/2010", date(2010, 8, 17)),
        ("17/08/2010 0:00:00", date(2010, 8, 17)),
        ("", None),
        ("  ", None),
    ],
)
def test_birth_forms(text: str, expected: date | None) -> None:
    assert wire.parse_birth(text) == expected


@pytest.mark.parametrize(
    "text", ["20100230", "17 Foo 2010", "2010/08/17", "yesterday", "32/01/2000"]
)
def test_bad_birth_is_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="birth"):
        wire.parse_birth(text)


def test_birth_outgoing_forms() -> None:
    assert wire.format_birth_add(date(1945, 8, 17)) == "19450817"
    assert wire.format_birth_edit(date(2010, 8, 17)) == "17 Aug 2010"
    assert wire.format_birth_edit(date(905, 1, 2)) == "02 Jan 0905"


# ---- credits / report --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b"1000", Decimal(1000)),
        (b"998.50\r\n", Decimal("998.50")),
        (b"0", Decimal(0)),
        (b"1701,250", Decimal(250)),
        (b"17", Decimal(17)),
        (b"1799", Decimal(1799)),
    ],
)
def test_credits_forms(raw: bytes, value: Decimal) -> None:
    assert wire.parse_credits("creditsleft", body(raw)) == value


def test_credits_error() -> None:
    with pytest.raises(InvalidCredentials):
        wire.parse_credits("creditsleft", body(b"1702"))


@pytest.mark.parametrize("word", ["SENT", "DELIVRD", "UNDELIVRD", "REJECTED", "EXPIRED"])
def test_report_words(word: str) -> None:
    assert wire.parse_report("Report", body(word.encode() + b"\r\n")) is DeliveryState(word)


def test_report_errors() -> None:
    with pytest.raises(InvalidMsgId):
        wire.parse_report("Report", body(b"1713"))
    with pytest.raises(DataNotFound):
        wire.parse_report("Report", body(b"1704"))
    with pytest.raises(ProtocolError, match="unknown delivery status"):
        wire.parse_report("Report", body(b"LOST"))
