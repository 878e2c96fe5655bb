"""How a live gateway speaks the protocol, found by asking it: the read-only probes behind
``smsync doctor``.

Each question the reference leaves open (docs/protocol.md, "Assumptions") has one probe here,
and each answer is named as the sandbox names the same switch, so that a finding is also the
setting that makes the sandbox behave the same. Only reads are sent (``Client.probe`` refuses
anything else); an answer that cannot be settled (an empty phonebook, ASCII credentials) is
None, with the reason in ``Dialect.unsettled``, never a guess.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from smsync.gateway import wire
from smsync.gateway.client import CREDITS_PATHS, PATHS, UNDERSCORE_PATHS, Client, RawAnswer
from smsync.gateway.errors import GatewayError, InvalidCredentials

#: Page sizes asked, growing, to find the largest page the gateway serves.
PROBE_SIZES = (10, 25, 50, 100, 200, 500, 1000)
#: A number no phonebook holds: a search that finds rows with it ignored its parameter.
NO_SUCH_NUMBER = "0000000000001"

_BIRTH_FORMS = (
    ("yyyymmdd", re.compile(r"\d{8}")),
    ("iso", re.compile(r"\d{4}-\d{1,2}-\d{1,2}")),
    ("slash", re.compile(r"\d{1,2}/\d{1,2}/\d{4}")),
    ("dmy", re.compile(r"\d{1,2}[ -][A-Za-z]{3,9}[ -]\d{4}")),
)
_TIME_PART = re.compile(r"[ T]\d{1,2}:\d{2}.*$")


@dataclass
class Dialect:
    """What a gateway showed. Values use the sandbox's switch names and choices."""

    balance: Decimal | None = None
    credits_path: str | None = None  # both | api | root
    paths: str | None = None  # both | camel | underscore
    number_param: str | None = None  # both | no | number
    max_page_size: int | None = None  # the largest page served, when a cap was seen
    largest_page_seen: int = 0  # rows of the largest page served (a cap would be above it)
    list_form: str | None = None  # full | short
    separator: str | None = None  # unicode | cp1252 | bytes
    birth_form: str | None = None  # yyyymmdd | dmy | iso | slash
    error_suffix: str | None = None  # what follows an error code ("" when nothing)
    md5_charset: str | None = None  # utf-8 | cp1252
    search_limit: int | None = None  # rows a search answers at most
    search_match: str | None = None  # substring | prefix
    contacts_seen: int = 0
    # --write-probe only (explicit consent): answers to writes in a scratch group
    add_success: str | None = None  # comma | bare
    name_round_trip: str | None = None  # the probe name as the gateway listed it back
    group_delete_with_members: str | None = None  # refused | allowed
    # --sms-to only (one real SMS, confirmed first): what a trxid binds
    send_success: str | None = None  # comma | concat | colon | pipe | bare
    trxid_remembers_failures: bool | None = None
    trxid_repeat_same: bool | None = None  # a repeat answered the first send's exact body
    unsettled: dict[str, str] = field(default_factory=dict)  # switch -> why it is unknown


def probe_dialect(client: Client) -> Dialect:
    """Every read-only probe, in the order each needs the one before; raises
    InvalidCredentials when the credentials are refused with every charset (nothing else can
    be learned then)."""
    d = Dialect()
    _credits(client, d)
    _lookup_paths(client, d)
    records = _first_page(client, d)
    _birth(client, d, records)
    _number_param(client, d, records)
    _search(client, d, records)
    _page_cap(client, d)
    return d


def _answers(answer: RawAnswer) -> bool:
    """True when the path exists (anything but a 404)."""
    return answer.status != 404


def _credits(client: Client, d: Dialect) -> None:
    served = [
        path
        for path in CREDITS_PATHS
        if _answers(client.probe("creditsleft", {}, path=path, wrong_auth=True))
    ]
    if not served:
        d.unsettled["credits_path"] = "creditsleft.aspx answers at neither path"
        return
    d.credits_path = (
        "both" if len(served) == 2 else ("api" if served[0] == CREDITS_PATHS[0] else "root")
    )
    path = served[0]
    wrong = client.probe("creditsleft", {}, path=path, wrong_auth=True).body
    if wire.leading_code(wrong) == InvalidCredentials.code:
        d.error_suffix = wrong.strip()[4:]
    charsets = ["utf-8"]
    ascii_creds = client.username.isascii() and client.password_is_ascii
    if not ascii_creds:
        charsets.append("cp1252")
    for charset in charsets:
        body = client.probe("creditsleft", {}, path=path, md5_charset=charset).body
        if wire.leading_code(body) == InvalidCredentials.code:
            continue
        d.balance = wire.parse_credits("creditsleft", body)
        if ascii_creds:
            d.unsettled["md5_charset"] = "the username and password are ASCII: any charset fits"
        else:
            d.md5_charset = client.md5_charset = charset  # every later probe signs with it
        return
    raise InvalidCredentials("creditsleft", detail="with every MD5 charset tried")


def _lookup_paths(client: Client, d: Dialect) -> None:
    params = {"page": "1", "size": "1"}
    camel = _answers(client.probe("phbkGetList", params, path=PATHS["phbkGetList"]))
    under = _answers(client.probe("phbkGetList", params, path=UNDERSCORE_PATHS["phbkGetList"]))
    if camel or under:
        d.paths = "both" if camel and under else ("camel" if camel else "underscore")
    else:
        d.unsettled["paths"] = "phbkGetList answers at neither spelling"


def _path(d: Dialect, method: str) -> str:
    return UNDERSCORE_PATHS[method] if d.paths == "underscore" else PATHS[method]


def _first_page(client: Client, d: Dialect) -> list[list[str]]:
    """Records of the phonebook's first page; settles the separator and the record form."""
    answer = client.probe("phbkGetList", {"page": "1", "size": "10"}, path=_path(d, "phbkGetList"))
    text = answer.body
    code = wire.leading_code(text)
    listed = wire.FIELD_SEP in text or wire.FIELD_SEP_CP1252 in text
    if code == wire.NOT_FOUND or not listed:
        why = (
            "the phonebook is empty"
            if code == wire.NOT_FOUND
            else f"phbkGetList answered {text.strip()[:20]!r}, not a listing"
        )
        for name in ("separator", "list_form", "birth_form", "number_param", "search"):
            d.unsettled[name] = why
        return []
    try:
        answer.raw.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    records = [r for r in wire.split_records(text) if len(r) >= 4]
    first = text.find(wire.FIELD_SEP)
    euro = text.find(wire.FIELD_SEP_CP1252)
    if not utf8:
        d.separator = "bytes"
    elif euro != -1 and (first == -1 or euro < first):
        d.separator = "cp1252"
    else:
        d.separator = "unicode"
    if records:
        d.list_form = "full" if max(len(r) for r in records) >= 7 else "short"
    return records


def _birth(client: Client, d: Dialect, records: list[list[str]]) -> None:
    if not records:
        return
    births = [r[5] for r in records if len(r) >= 7 and r[5].strip()]
    if not births and d.list_form == "short":
        for record in records[:5]:  # complete data: the full record of a few rows
            answer = client.probe(
                "phbkGetCompleteData",
                {"id": record[0].strip()},
                path=_path(d, "phbkGetCompleteData"),
            )
            full = (
                wire.split_records(answer.body)
                if wire.FIELD_SEP in answer.body or (wire.FIELD_SEP_CP1252 in answer.body)
                else []
            )
            births += [r[5] for r in full if len(r) >= 7 and r[5].strip()]
            if births:
                break
    for birth in births:
        text = _TIME_PART.sub("", birth.strip())
        for name, form in _BIRTH_FORMS:
            if form.fullmatch(text):
                d.birth_form = name
                return
    d.unsettled["birth_form"] = (
        "no contact of the first page has a birth date"
        if not births
        else f"unknown form {births[0][:20]!r}"
    )


def _ids(client: Client, d: Dialect, method: str, params: dict[str, str]) -> list[str]:
    body = client.probe(method, params, path=_path(d, method)).body
    if wire.FIELD_SEP not in body and wire.FIELD_SEP_CP1252 not in body:
        return []
    return [r[0].strip() for r in wire.split_records(body)]


def _number_param(client: Client, d: Dialect, records: list[list[str]]) -> None:
    if not records:
        return
    target = records[0]
    contact_id, mobile = target[0].strip(), target[2].strip()
    read: list[str] = []
    for name in ("no", "number"):
        found = _ids(client, d, "phbkFindPhNumber", {name: mobile})
        ignored = _ids(client, d, "phbkFindPhNumber", {name: NO_SUCH_NUMBER})
        if contact_id in found and contact_id not in ignored:
            read.append(name)
    if read:
        d.number_param = "both" if len(read) == 2 else read[0]
    else:
        d.unsettled["number_param"] = "phbkFindPhNumber found the contact with neither name"


def _search(client: Client, d: Dialect, records: list[list[str]]) -> None:
    names = [r[1].strip() for r in records if len(r) > 1 and len(r[1].strip()) >= 4]
    if not names:
        d.unsettled.setdefault("search", "no contact name long enough to search for")
        return
    name = names[0]
    middle = name[1:-1]
    if _ids(client, d, "phbkFindName", {"name": middle}):
        d.search_match = "substring"
    elif _ids(client, d, "phbkFindName", {"name": name[:-1]}):
        d.search_match = "prefix"
    # The most rows any search answers: a common one-letter search.
    counts = [len(_ids(client, d, "phbkFindName", {"name": ch})) for ch in "ae"]
    most = max(counts)
    listed = len(_ids(client, d, "phbkGetList", {"page": "1", "size": str(most + 1)}))
    if most and listed > most:
        d.search_limit = most
    else:
        d.unsettled["search_limit"] = f"no search found more than {most} rows to cut"


def _page_cap(client: Client, d: Dialect) -> None:
    def served(page: int, size: int) -> int:
        return client.list_contacts(page=page, size=size).served

    _find_cap(served, d)


def _find_cap(served: Callable[[int, int], int], d: Dialect) -> None:
    for size in PROBE_SIZES:
        rows = served(1, size)
        d.largest_page_seen = max(d.largest_page_seen, rows)
        if rows == size:
            continue
        if rows and served(2, rows):
            d.max_page_size = rows  # more rows exist, yet pages stop at this many
        else:
            d.contacts_seen = rows
            d.unsettled["max_page_size"] = (
                f"no cap up to {rows} rows: the phonebook holds only {rows} contacts"
                if rows
                else "the phonebook is empty"
            )
        return
    d.unsettled["max_page_size"] = f"no cap up to {PROBE_SIZES[-1]} rows"


#: The contact the write probe stores for a moment: spaces, Greek and CJK letters (a euro sign
#: cannot be sent at all: it is the field separator on cp1252 servers).
PROBE_NAME = "Doctor Probe Ωμέγα 名前"
#: Its number: a national-form number in a block no operator hands out; never messaged.
PROBE_MOBILE = "081299999999"


def probe_writes(client: Client, d: Dialect, scratch: str) -> None:
    """With consent only: create the group ``scratch``, add one contact, read it back, try to
    delete the group while it has a member, then remove both (whatever failed before)."""
    group_id = client.add_group(scratch)
    d.add_success = "comma" if group_id is not None else "bare"
    if group_id is None:
        found = [g for g in client.find_group(scratch) if g.name == scratch]
        group_id = found[0].id if found else None
    contact_id: int | None = None
    try:
        contact_id = client.add_contact(PROBE_NAME, PROBE_MOBILE, scratch)
        listed = client.list_contacts_by_group(scratch).items
        if contact_id is None and listed:
            contact_id = listed[0].id
        if listed:
            d.name_round_trip = listed[0].name
        if group_id is not None:
            try:
                client.delete_group(group_id)
                d.group_delete_with_members = "allowed"
                group_id = None
            except GatewayError:
                d.group_delete_with_members = "refused"
    finally:
        if contact_id is not None:
            with contextlib.suppress(GatewayError):  # gone with its group
                client.delete_contact(contact_id)
        if group_id is not None:
            client.delete_group(group_id)


#: What a probe SMS says, so that whoever gets it knows what it is.
PROBE_SMS = "smsync doctor: a test message, please ignore"
#: A mobile no gateway accepts: the first send of the trxid probe must fail, sending nothing.
INVALID_MOBILE = "0"
_SEND_FORMS = {",": "comma", ":": "colon", "|": "pipe"}


def send_success_form(body: str) -> str:
    """The ``send_success`` switch a success body shows (``1701,<id>`` -> ``comma``)."""
    text = body.strip()
    if text == wire.SUCCESS:
        return "bare"
    return _SEND_FORMS.get(text[4:5], "concat")


def probe_trxid(client: Client, d: Dialect, mobile: str, trxid: str) -> None:
    """Sends at most ONE SMS (to ``mobile``, the user's own, confirmed by the caller): first
    ``trxid`` with an invalid number (nothing can be sent), then with ``mobile``, then again.
    Settles whether a failed send binds its trxid, the success form, and whether a repeat
    answers the first success's exact body (and sends nothing)."""
    with contextlib.suppress(GatewayError):  # 1707 (invalid number) expected
        client.send_sms(INVALID_MOBILE, PROBE_SMS, trxid=trxid)
    try:
        first = client.send_sms(mobile, PROBE_SMS, trxid=trxid)
    except GatewayError:
        d.trxid_remembers_failures = True  # the failure answered again: nothing was sent
        return
    d.trxid_remembers_failures = False
    d.send_success = send_success_form(first.raw)
    again = client.send_sms(mobile, PROBE_SMS, trxid=trxid)
    d.trxid_repeat_same = again.raw.strip() == first.raw.strip()
