"""Response bodies: decoding, return codes, send/add answers, record lists, birth dates.

Pure functions over bytes and text, no HTTP here. Every accepted form is listed in
docs/protocol.md ("Answers"). Nothing in this module lets an IndexError/ValueError escape for
a malformed body: such a body is a ProtocolError quoting a bounded part of it (ProtocolError
does the bounding).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar, cast

from smsync._slots import slot_setters
from smsync.gateway.errors import ERRORS_BY_CODE, ProtocolError, UnableToProcess
from smsync.gateway.models import BadRecord, Contact, DeliveryState, Group, SendResult

T = TypeVar("T")

SUCCESS = "1701"
INTERNAL_ERROR = "1703"
NOT_FOUND = "1704"

# Chr(128)/Chr(129) of the reference. U+0080/U+0081 is what they are in Unicode (and what raw
# 0x80/0x81 bytes become once a latin-1 body is decoded); U+20AC is what Chr(128) yields on a
# server whose ANSI code page is cp1252 (cp1252 has no character at 0x81, so records stay U+0081).
FIELD_SEP = "\x80"
FIELD_SEP_CP1252 = "\u20ac"
RECORD_SEP = "\x81"

# What may follow a code's four digits without making it something else: a digit makes it a
# longer number (a balance, an id), a separator makes it a record whose id is that code.
_NOT_A_CODE_AFTER = "0123456789.\x80\x81\u20ac"
_UNABLE = "unable to process your request"
# What may sit between "1701" and the id: send "1701,<id>", "1701:<id>", "1701|<id>" or nothing.
_SUCCESS_ID = re.compile(r"1701[,:|;]?\s*(?P<id>\S.*)?", re.DOTALL)
# A leading "1701," (or similar) before a list body. Not "1701" + field separator: that is a
# record whose id is 1701.
_LIST_PREFIX = re.compile(r"1701(?:[,:|;]|\s+|\x81)")


def decode_body(raw: bytes) -> str:
    """Body text: UTF-8 when it is valid UTF-8 (a leading BOM dropped), else latin-1.

    latin-1, not cp1252: it maps every byte (cp1252 has no 0x81), so raw separator bytes
    0x80/0x81 come out as U+0080/U+0081, the same as in a UTF-8 body. (A latin-1 body that
    happens to be valid UTF-8, e.g. "Ã" right before a raw 0x80, is read as UTF-8: the bytes
    form cannot tell them apart.)
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
    return text.removeprefix("\ufeff")


def is_gateway_answer(body: str) -> bool:
    """True when ``body`` starts like an answer of the gateway's own (a 17xx code, or the
    "Unable to process" text), whatever HTTP status came with it."""
    text = body.strip()
    code = text[:4]
    return (
        len(code) == 4 and code.startswith("17") and code.isdigit() and code.isascii()
    ) or text.lower().startswith(_UNABLE)


def leading_code(body: str) -> str | None:
    """The return code a body starts with, read as the public clients read it: the first
    four characters (``1702``, ``1702<html>…``, ``1708 no credit``). None when they are not
    a 17xx code, or when a digit or a separator follows (a longer number, a record)."""
    text = body.strip()
    code = text[:4]
    if not (len(code) == 4 and code.startswith("17") and code.isdigit() and code.isascii()):
        return None
    if len(text) > 4 and text[4] in _NOT_A_CODE_AFTER:
        return None
    return code


def raise_for_code(method: str, body: str) -> None:
    """Raise the GatewayError a non-success body stands for; return when it is not one.

    The code is the body's first four characters, whatever follows them (a detail, HTML
    markup), as every public client reads it; the rest is quoted as detail. Four digits
    followed by a digit or a separator are not a code (a balance, a record id).
    """
    text = body.strip()
    if text.lower().startswith(_UNABLE):
        raise UnableToProcess(method, detail=text[:80])
    code = leading_code(text)
    if code is None or code == SUCCESS:
        return
    cls = ERRORS_BY_CODE.get(code)
    if cls is None:
        raise ProtocolError(method, f"unknown return code {code}", body)
    raise cls(method, detail=text[4:].strip(" ,:|")[:80])


def parse_send(method: str, body: str) -> SendResult:
    """A send answer: ``1701,<id>``, ``1701<id>``, ``1701:<id>``, ``1701|<id>`` or bare ``1701``."""
    text = body.strip()
    if text.startswith(SUCCESS):
        match = _SUCCESS_ID.fullmatch(text)
        msgid = match.group("id") if match else None
        return SendResult(msgid=msgid.strip() if msgid else None, raw=body)
    raise_for_code(method, text)
    raise ProtocolError(method, "unexpected answer to a send", body)


def parse_add(method: str, body: str) -> int | None:
    """An add answer: ``1701,<new id>`` (the other send separators tolerated) or bare ``1701``."""
    text = body.strip()
    if text.startswith(SUCCESS):
        match = _SUCCESS_ID.fullmatch(text)
        new_id = match.group("id") if match else None
        if new_id is None:
            return None
        if new_id.strip().isdigit() and new_id.strip().isascii():
            return int(new_id)
        raise ProtocolError(method, "success without a numeric id", body)
    raise_for_code(method, text)
    raise ProtocolError(method, "unexpected answer to an add", body)


def parse_ok(method: str, body: str) -> None:
    """An edit/delete/change answer: ``1701`` (anything after it is ignored)."""
    text = body.strip()
    if text.startswith(SUCCESS):
        return
    raise_for_code(method, text)
    raise ProtocolError(method, "unexpected answer", body)


def parse_credits(method: str, body: str) -> Decimal:
    """The balance: the body is the number (``1000``, ``1000.50``; a ``1701,`` prefix tolerated).

    Ambiguity the protocol leaves: a balance that equals a documented error code (exactly 1702,
    say) is read as that error, since an error body is exactly the 4-digit code. Any other
    number, 1799 included, is a balance.
    """
    text = body.strip()
    if text.startswith(SUCCESS) and len(text) > 4 and text[4] in ",:|;":
        text = text[5:].strip()
    elif leading_code(text) in ERRORS_BY_CODE or not text[:1].isdigit():
        raise_for_code(method, text)
    if not re.fullmatch(r"-?\d+(?:\.\d+)?", text):
        raise ProtocolError(method, "balance is not a number", body)
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise ProtocolError(method, "balance is not a number", body) from None


def parse_report(method: str, body: str) -> DeliveryState:
    """Report.aspx: the body is the status word (SENT, DELIVRD, UNDELIVRD, REJECTED, EXPIRED)."""
    text = body.strip()
    prefix = _LIST_PREFIX.match(text)
    if prefix:
        text = text[prefix.end() :].strip()
    raise_for_code(method, text)
    try:
        return DeliveryState(text.upper())
    except ValueError:
        raise ProtocolError(method, "unknown delivery status", body) from None


# ---- record lists -------------------------------------------------------------------------


def join_records(records: Sequence[Sequence[str]], field_sep: str = FIELD_SEP) -> str:
    """The list body for ``records`` (the sandbox's default form). Inverse of split_records."""
    return RECORD_SEP.join(field_sep.join(fields) for fields in records)


def split_records(text: str) -> list[list[str]]:
    """Records of a list body, each a list of fields; whitespace-only records are dropped.

    The field separator is whichever of U+0080 and U+20AC comes first. A body uses one of
    them, and the first record's first field is a numeric id, so the first one found is the
    one right after that id: the other is then text, wherever it appears (a euro sign in a
    name of a U+0080 body, a U+0080 in a name of a cp1252 body).
    """
    unicode_at = text.find(FIELD_SEP)
    cp1252_at = text.find(FIELD_SEP_CP1252)
    cp1252 = cp1252_at != -1 and (unicode_at == -1 or cp1252_at < unicode_at)
    field_sep = FIELD_SEP_CP1252 if cp1252 else FIELD_SEP
    return [rec.split(field_sep) for rec in text.split(RECORD_SEP) if rec.strip()]


def parse_page(
    method: str, body: str, parse_record: Callable[[list[str]], T]
) -> tuple[list[T], list[BadRecord]]:
    """A listing page: the records that parse, and the ones that do not (:class:`BadRecord`).

    One unreadable record (a stored value holding a separator, say) must not make a whole
    listing unreadable: it is reported, and every other record is read. ``1704`` is an empty
    page. An empty body is a ProtocolError rather than an empty list: the gateway says "empty"
    with 1704, and reading an unexplained blank as "no contacts" could make a plan re-add
    everything. So is a bare ``1701`` (or ``1701,`` and nothing after it): a success with no
    records is not how the gateway says "empty" either.

    A line break at the end of a record's last field is dropped in every record, not only in
    the last one: a server may end its answer with one, and the same stored value must read
    the same wherever its record falls in the page.
    """
    text = body
    stripped = text.strip()
    if leading_code(stripped) == NOT_FOUND:
        return [], []
    prefix = _LIST_PREFIX.match(text)
    if prefix or stripped == SUCCESS:
        text = text[prefix.end() :] if prefix else ""
        if not text.strip():
            raise ProtocolError(method, "success code without records answered to a listing", body)
    elif FIELD_SEP not in text and FIELD_SEP_CP1252 not in text:
        raise_for_code(method, stripped)
        raise ProtocolError(method, "unexpected answer to a listing", body)
    records = split_records(text)
    if parse_record is parse_contact:
        # the listing a plan reads 100k rows of: its common records are read inline
        return cast(tuple[list[T], list[BadRecord]], _contact_records(records))
    items: list[T] = []
    bad: list[BadRecord] = []
    for position, record in enumerate(records):
        _read_record(record, position, parse_record, items, bad)
    return items, bad


def _read_record(
    record: list[str],
    position: int,
    parse_record: Callable[[list[str]], T],
    items: list[T],
    bad: list[BadRecord],
) -> None:
    record[-1] = record[-1].rstrip("\r\n")
    try:
        items.append(parse_record(record))
    except ValueError as exc:
        try:
            first: int | None = _parse_id(record[0])
        except ValueError:
            first = None
        bad.append(BadRecord(id=first, reason=str(exc), position=position))


def _contact_records(records: list[list[str]]) -> tuple[list[Contact], list[BadRecord]]:
    """What the loop of :func:`parse_page` makes of contact records, faster: a full or short
    record whose id and mobile are plain ASCII digits (what a gateway lists) is read here,
    with the same result as :func:`parse_contact`; every other record is read by it.

    A page's group names are mostly one string: each is kept once (a million-row plan holds
    every row's group)."""
    items: list[Contact] = []
    bad: list[BadRecord] = []
    groups: dict[str, str] = {}
    for position, record in enumerate(records):
        n = len(record)
        if n == 7:
            id_, name, mobile, group, address, birth_text, desc = record
            complete = True
            desc = desc.rstrip("\r\n")
        elif n == 4:
            id_, name, mobile, group = record
            address, birth_text, desc, complete = "", "", "", False
            group = group.rstrip("\r\n")
        else:
            _read_record(record, position, parse_contact, items, bad)
            continue
        if not (id_.isdigit() and id_.isascii() and mobile.isdigit() and mobile.isascii()):
            _read_record(record, position, parse_contact, items, bad)
            continue
        birth = None
        if birth_text:
            try:
                birth = parse_birth(birth_text)
            except ValueError:
                _read_record(record, position, parse_contact, items, bad)
                continue
        contact: Contact = _new(Contact)
        _set_id(contact, int(id_))
        _set_name(contact, name)
        _set_mobile(contact, mobile)
        _set_group(contact, groups.setdefault(group, group))
        _set_address(contact, address)
        _set_birth(contact, birth)
        _set_desc(contact, desc)
        _set_complete(contact, complete)
        items.append(contact)
    return items, bad


def parse_list(method: str, body: str, parse_record: Callable[[list[str]], T]) -> list[T]:
    """A search or a complete-data answer: every record, or a ProtocolError naming the first
    one that does not parse. Strict, unlike :func:`parse_page`: a caller of a search decides
    from what it did not find (a lost add is looked up by number), so a record left out
    would read as "missing"."""
    items, bad = parse_page(method, body, parse_record)
    if bad:
        raise ProtocolError(method, f"malformed record ({bad[0].reason})", body)
    return items


def _parse_id(value: str) -> int:
    text = value.strip()
    if not (text.isdigit() and text.isascii()):
        raise ValueError(f"id {value[:20]!r} is not a number")
    return int(text)


# A plan parses 100k records: Contacts are filled through their slots (see smsync._slots).
(
    _set_id,
    _set_name,
    _set_mobile,
    _set_group,
    _set_address,
    _set_birth,
    _set_desc,
    _set_complete,
) = slot_setters(Contact)
_new = object.__new__


def _contact(
    id: int,
    name: str,
    mobile: str,
    group: str,
    address: str,
    birth: date | None,
    desc: str,
    complete: bool,
) -> Contact:
    contact: Contact = _new(Contact)
    _set_id(contact, id)
    _set_name(contact, name)
    _set_mobile(contact, mobile)
    _set_group(contact, group)
    _set_address(contact, address)
    _set_birth(contact, birth)
    _set_desc(contact, desc)
    _set_complete(contact, complete)
    return contact


# A mobile as a gateway may hold it (08…, 628…, +62 8…, with spaces or dashes). Checked so
# that a record split by a separator inside a value (its fields shifted by one) is not read
# as a contact whose "mobile" is half of its name.
_MOBILE_FORM = re.compile(r"\+?[0-9][0-9 ().-]*")


def parse_contact(fields: list[str]) -> Contact:
    """A contact record: full ``id, name, mobile, group, address, birth, desc`` or short
    ``id, name, mobile, group`` (-> ``complete=False``). Trailing empty fields (a trailing
    separator) are tolerated; ValueError for anything else, and for a mobile that is not
    written with digits."""
    n = len(fields)
    if n >= 3 and not _MOBILE_FORM.fullmatch(fields[2].strip()):
        raise ValueError("the mobile field is not a number (a separator inside a value?)")
    if n == 4 or (n == 5 and fields[4] == ""):
        return _contact(
            _parse_id(fields[0]), fields[1], fields[2].strip(), fields[3], "", None, "", False
        )
    if n >= 7 and not any(fields[7:]):
        return _contact(
            _parse_id(fields[0]),
            fields[1],
            fields[2].strip(),
            fields[3],
            fields[4],
            parse_birth(fields[5]),
            fields[6],
            True,
        )
    raise ValueError(f"a contact record has 7 (or 4) fields, not {n}")


def parse_group(fields: list[str]) -> Group:
    """A group record ``id, name``. Extra trailing fields are kept (``Group.extra``) when not
    empty: a dialect may add some, but a name holding the field separator looks the same, and
    the plan refuses to manage a group it cannot tell apart."""
    if len(fields) < 2:
        raise ValueError(f"a group record has at least 2 fields, not {len(fields)}")
    extra = tuple(f for f in fields[2:] if f.strip())
    return Group(id=_parse_id(fields[0]), name=fields[1], extra=extra)


def encode_contact(contact: Contact) -> list[str]:
    """The full-form record fields of ``contact`` (birth as YYYYMMDD), for tests and fixtures."""
    return [
        str(contact.id),
        contact.name,
        contact.mobile,
        contact.group,
        contact.address,
        format_birth_add(contact.birth) if contact.birth else "",
        contact.desc,
    ]


# ---- birth dates ----------------------------------------------------------------------------

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_NUMBER = {
    **{m.lower(): i for i, m in enumerate(_MONTHS, start=1)},
    **{m: i for i, m in enumerate(_MONTH_NAMES, start=1)},
}
_BIRTH_FORMS = (
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),  # YYYYMMDD (the reference, phbkAdd)
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),  # YYYY-MM-DD
    re.compile(r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})"),  # dd/mm/yyyy
    re.compile(r"(?P<d>\d{1,2})[ -](?P<mon>[A-Za-z]{3,9})[ -](?P<y>\d{4})"),  # dd mmm yyyy
)
# ASP.NET may render a DateTime column with its time part ("17/08/2010 0:00:00", "... AM").
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?$")


def parse_birth(value: str) -> date | None:
    """A birth field: ``YYYYMMDD``, ``dd mmm yyyy``, ``YYYY-MM-DD``, ``dd/mm/yyyy`` or empty.

    ValueError (with the value) for anything else, including impossible dates.
    """
    text = value.strip()
    if not text:
        return None
    if len(text) == 8 and text.isdigit() and text.isascii():  # YYYYMMDD, the common form
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            raise ValueError(f"birth {value[:30]!r} is not a date in a known form") from None
    text = _TIME_SUFFIX.sub("", text)
    if not text:
        return None
    for form in _BIRTH_FORMS:
        match = form.fullmatch(text)
        if match is None:
            continue
        parts = match.groupdict()
        month = _MONTH_NUMBER.get(parts["mon"].lower()) if "mon" in parts else int(parts["m"])
        if month is None:
            break
        try:
            return date(int(parts["y"]), month, int(parts["d"]))
        except ValueError:
            break
    raise ValueError(f"birth {value[:30]!r} is not a date in a known form")


def format_birth_add(value: date) -> str:
    """phbkAdd's birth: ``YYYYMMDD`` (reference II.1: ``birth=19450817``)."""
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def format_birth_edit(value: date) -> str:
    """phbkEdit's birth: ``dd Mon yyyy`` (reference II.2: ``birth=17 aug 2010``).

    English month abbreviations independent of the locale (strftime's %b is locale-dependent).
    """
    return f"{value.day:02d} {_MONTHS[value.month - 1]} {value.year:04d}"
