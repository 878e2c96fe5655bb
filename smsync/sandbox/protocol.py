"""Wire-level rules of the web2sms protocol, written independently of smsync.gateway.

Return codes, MD5 auth formulas, the record format and the value parsers live here so that the
sandbox and the client are two separate readings of the reference: a shared misunderstanding
would show up as a failing test instead of hiding.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence

# Return codes (reference section "Return Code").
OK = "1701"
BAD_AUTH = "1702"
INTERNAL = "1703"
NO_DATA = "1704"
FAILED = "1705"
BAD_MESSAGE = "1706"
BAD_NUMBER = "1707"
NO_CREDIT = "1708"
GROUP_EMPTY = "1709"
BAD_GROUP_NAME = "1711"
BAD_GROUP_ID = "1712"
BAD_MSGID = "1713"
BAD_CONTACT_NAME = "1721"
BAD_CONTACT_ID = "1722"
NO_WHATSAPP = "1751"

MAX_MESSAGE_CHARS = 5000
MAX_GROUP_MESSAGE_CHARS = 160
MAX_TRXID_CHARS = 50
SEARCH_LIMIT = 10

# Field / record separators: Char(128) / Char(129) of the reference, in three possible encodings.
FIELD_SEP = "\u0080"
RECORD_SEP = "\u0081"
CP1252_FIELD_SEP = "\u20ac"  # what VB's Chr(128) yields under cp1252; cp1252 has no 0x81

# Endpoint names: the request path's file name, lower-cased, without ".aspx".
ENDPOINTS = frozenset(
    {
        "sendsms",
        "send",
        "sendsmsgroup",
        "sendwa",
        "phbkadd",
        "phbkedit",
        "phbkdelete",
        "phbkgetlist",
        "phbkgetlistbygroup",
        "phbkgetcompletedata",
        "phbkfindname",
        "phbkfindphnumber",
        "groupadd",
        "groupedit",
        "groupdelete",
        "groupgetlist",
        "groupfind",
        "changepassword",
        "report",
        "creditsleft",
    }
)
# Every name a request can be routed to: the API's, plus the two ~proxy/*.php forms.
ROUTED_NAMES = ENDPOINTS | {"proxysend", "proxysendwa"}


def endpoint_name(name: str) -> str:
    """``phbk_getList`` / ``SendSMSGroup`` -> ``phbkgetlist`` / ``sendsmsgroup``: paths are
    case-insensitive, and one client library spells the phonebook lookups with an underscore."""
    name = name.strip().lower()
    return "phbk" + name[len("phbk_") :] if name.startswith("phbk_") else name


_MOBILE_RE = re.compile(r"\+?[0-9]{8,15}")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def md5_hex(*parts: str, charset: str = "utf-8") -> str:
    """Lowercase hex MD5 of the plain concatenation of ``parts`` (as ``charset`` bytes)."""
    return hashlib.md5("".join(parts).encode(charset, errors="replace")).hexdigest()


def auth_matches(given: str, *parts: str, charset: str = "utf-8") -> bool:
    # Clients may send upper-case hex; the digest itself is what matters.
    return given.strip().lower() == md5_hex(*parts, charset=charset)


def valid_mobile(mobile: str) -> bool:
    """Digits (optional leading +), 8-15 of them, starting with 0 (national) or a country code."""
    if not _MOBILE_RE.fullmatch(mobile):
        return False
    digits = mobile.lstrip("+")
    # A national number starts with 0; anything else must be a country code (which never
    # starts with 0), so only "00..." style junk is rejected here.
    return not digits.startswith("00")


def normalise_mobile(mobile: str) -> str:
    """Digits in international form (08x -> 628x), used only for prefix lists."""
    digits = mobile.lstrip("+")
    if digits.startswith("0"):
        return "62" + digits[1:]
    return digits


def parse_birth(text: str) -> dt.date | None:
    """YYYYMMDD, ``dd mmm yyyy`` or YYYY-MM-DD; empty -> None; anything else raises ValueError."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"[0-9]{8}", text):
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    m = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", text)
    if m:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    m = re.fullmatch(r"([0-9]{1,2})\s+([A-Za-z]{3})[A-Za-z]*\s+([0-9]{4})", text)
    if m and m[2].lower() in _MONTHS:
        return dt.date(int(m[3]), _MONTHS.index(m[2].lower()) + 1, int(m[1]))
    raise ValueError(f"invalid birth date {text!r}")


def format_birth(iso: str | None, form: str) -> str:
    """Render a stored ISO date in the configured record form; empty when unset."""
    if not iso:
        return ""
    d = dt.date.fromisoformat(iso)
    if form == "yyyymmdd":
        return d.strftime("%Y%m%d")
    if form == "dmy":
        return f"{d.day:02d} {_MONTHS[d.month - 1].capitalize()} {d.year:04d}"
    if form == "slash":
        return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"
    return d.isoformat()


def decode_ucs2_hex(text: str) -> str:
    """Type-3 message: UTF-16BE as hex (4 digits per code unit). Raises ValueError when bad."""
    text = text.strip()
    if not text or len(text) % 4 or not re.fullmatch(r"[0-9A-Fa-f]+", text):
        raise ValueError("message is not UTF-16BE hex")
    return bytes.fromhex(text).decode("utf-16-be")  # surrogate errors -> UnicodeDecodeError


def send_success_body(msgid: str, form: str) -> str:
    separator = {"comma": ",", "concat": "", "colon": ":", "pipe": "|"}.get(form)
    return OK if separator is None else f"{OK}{separator}{msgid}"


def add_success_body(new_id: int, form: str) -> str:
    return f"{OK},{new_id}" if form == "comma" else OK


def field_separator(separator: str) -> str:
    """The field separator of a separator mode (the record separator is U+0081 in all)."""
    return CP1252_FIELD_SEP if separator == "cp1252" else FIELD_SEP


def clean_field(value: str, field_sep: str) -> str:
    # A separator inside a value would corrupt the record; the real server may print it raw
    # (the raw_fields switch), but by default the sandbox stays parseable and replaces the
    # mode's two separators by a space. Only those two: in the unicode mode a '€' is text.
    return value.replace(field_sep, " ").replace(RECORD_SEP, " ")


def join_records(records: Iterable[Sequence[str]], separator: str, *, raw: bool = False) -> str:
    """Fields joined by the field separator, records by the record separator; with ``raw``,
    values keep any separators they hold.

    For ``separator == "bytes"`` the text uses U+0080/U+0081 and the server encodes the whole
    body as latin-1, which turns them into raw bytes 0x80/0x81.
    """
    field_sep = field_separator(separator)
    if raw:
        return RECORD_SEP.join(field_sep.join(rec) for rec in records)
    return RECORD_SEP.join(
        field_sep.join(clean_field(f, field_sep) for f in rec) for rec in records
    )


class ApiError(Exception):
    """A request fails with a gateway return code; the response body is exactly ``code``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
