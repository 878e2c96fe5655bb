"""The gateway's endpoints: parameters in, response body out.

Each handler validates in a fixed order (authentication first, so an unauthenticated caller
learns nothing) and raises :class:`~smsync.sandbox.protocol.ApiError` for a return code.
Routing is case-insensitive and accepts the underscore spellings some clients use.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Sequence
from typing import Protocol

from smsync.sandbox import protocol as p
from smsync.sandbox.config import SandboxConfig
from smsync.sandbox.segments import count_segments
from smsync.sandbox.store import Contact, Outgoing, Pending, Store

Params = dict[str, str]


class Scheduler(Protocol):
    def schedule(self, items: list[Pending]) -> None: ...


def parse_params(query: str, body: str = "") -> Params:
    """Query string (and form body) -> lower-cased names; the first value of a name wins."""
    params: Params = {}
    for source in (query, body):
        for name, value in urllib.parse.parse_qsl(
            source, keep_blank_values=True, encoding="utf-8", errors="replace"
        ):
            params.setdefault(name.strip().lower(), value)
    return params


# The phonebook lookups one public client spells with an underscore (phbk_getList, ...).
UNDERSCORE_LOOKUPS = frozenset(
    {
        "phbkgetlist",
        "phbkgetlistbygroup",
        "phbkgetcompletedata",
        "phbkfindname",
        "phbkfindphnumber",
    }
)


def route(path: str, paths: str = "both", credits_path: str = "both") -> str | None:
    """Endpoint name for a request path (``sendsms``, ``creditsleft``, ...) or None (404).

    ``paths`` (``both``, ``camel``, ``underscore``) says which spelling of the phonebook
    lookups answers; ``credits_path`` (``both``, ``api``, ``root``) where the balance does."""
    path = urllib.parse.unquote(path).lower().rstrip("/")
    while "//" in path:
        path = path.replace("//", "/")
    if path == "/~proxy/send.php":
        return "proxysend"
    if path == "/~proxy/sendwa.php":
        return "proxysendwa"
    if path == "/web2sms/creditsleft.aspx":
        return "creditsleft" if credits_path != "api" else None
    prefix = "/web2sms/api/"
    if not path.startswith(prefix) or not path.endswith(".aspx"):
        return None
    raw = path[len(prefix) : -len(".aspx")]
    name = p.endpoint_name(raw)
    if name == "creditsleft" and credits_path == "root":
        return None
    served = paths == "both" or (paths == "underscore") == raw.startswith("phbk_")
    if name in UNDERSCORE_LOOKUPS and not served:
        return None
    return name if name in p.ENDPOINTS else None


def _first(params: Params, *names: str) -> str | None:
    for name in names:
        if name in params:
            return params[name]
    return None


class Api:
    def __init__(self, store: Store, config: SandboxConfig, scheduler: Scheduler) -> None:
        self.store = store
        self.cfg = config
        self.scheduler = scheduler
        self._handlers: dict[str, Callable[[Params], str]] = {
            "sendsms": lambda q: self._send(q, "sms", plain=False),
            "send": lambda q: self._send(q, "sms", plain=True),
            "proxysend": lambda q: self._send(q, "sms", plain=True),
            "sendwa": lambda q: self._send(q, "whatsapp", plain="auth" not in q),
            "proxysendwa": lambda q: self._send(q, "whatsapp", plain=True),
            "sendsmsgroup": self._send_group,
            "phbkadd": self._phbk_add,
            "phbkedit": self._phbk_edit,
            "phbkdelete": self._phbk_delete,
            "phbkgetlist": lambda q: self._phbk_list(q, by_group=False),
            "phbkgetlistbygroup": lambda q: self._phbk_list(q, by_group=True),
            "phbkgetcompletedata": self._phbk_complete,
            "phbkfindname": self._phbk_find_name,
            "phbkfindphnumber": self._phbk_find_number,
            "groupadd": self._group_add,
            "groupedit": self._group_edit,
            "groupdelete": self._group_delete,
            "groupgetlist": self._group_list,
            "groupfind": self._group_find,
            "changepassword": self._change_password,
            "report": self._report,
            "creditsleft": self._credits,
        }

    def dispatch(self, endpoint: str, params: Params) -> str:
        """Response body for a request; a return code when it fails."""
        try:
            return self._handlers[endpoint](params)
        except p.ApiError as err:
            return err.code + self.cfg.error_suffix

    # --- helpers --------------------------------------------------------------------------

    def _auth(self, params: Params, parts: Callable[[str], tuple[str, ...]]) -> str:
        """The account name when ``auth`` is MD5 of ``parts(password)``; else 1702."""
        username = params.get("username", "")
        password = self.store.password_of(username)
        given, charset = params.get("auth", ""), self.cfg.md5_charset
        if password is None or not p.auth_matches(given, *parts(password), charset=charset):
            raise p.ApiError(p.BAD_AUTH)
        return username

    def _auth_user(self, params: Params) -> str:
        return self._auth(params, lambda pw: (params.get("username", ""), pw))

    def _auth_id(self, params: Params) -> str:
        return self._auth(params, lambda pw: (params.get("id", ""), pw))

    def _auth_plain(self, params: Params) -> str:
        username = params.get("username", "")
        password = self.store.password_of(username)
        if password is None or params.get("password") != password:
            raise p.ApiError(p.BAD_AUTH)
        return username

    def _paging(self, params: Params) -> tuple[int, int]:
        try:
            page = int(params.get("page", "").strip() or "1")
            size = int(params.get("size", "").strip() or "10")
        except ValueError:
            raise p.ApiError(p.FAILED) from None
        if page < 1 or size < 1:
            raise p.ApiError(p.FAILED)
        return page, min(size, self.cfg.max_page_size)

    def _records(self, records: Sequence[Sequence[str]]) -> str:
        if not records:
            raise p.ApiError(p.NO_DATA)
        return p.join_records(records, self.cfg.separator, raw=self.cfg.raw_fields)

    def _contact_record(self, c: Contact, full: bool) -> list[str]:
        record = [str(c.id), c.name, c.mobile, c.group]
        if full:
            record += [c.address, p.format_birth(c.birth, self.cfg.birth_form), c.desc]
        return record

    def _contacts(self, contacts: list[Contact]) -> str:
        full = self.cfg.list_form == "full"
        return self._records([self._contact_record(c, full) for c in contacts])

    @staticmethod
    def _int_id(params: Params, code: str) -> int:
        try:
            return int(params.get("id", "").strip())
        except ValueError:
            raise p.ApiError(code) from None

    @staticmethod
    def _check_birth(birth: str | None) -> None:
        if birth is None:
            return
        try:
            p.parse_birth(birth)
        except ValueError:
            raise p.ApiError(p.FAILED) from None

    def _message_text(self, params: Params, names: tuple[str, ...], limit: int) -> tuple[str, int]:
        """(text as the recipient sees it, type); 1705 unknown type, 1706 bad message."""
        msg_type = params.get("type", "").strip() or "0"
        if msg_type not in ("0", "3"):
            raise p.ApiError(p.FAILED)
        raw = _first(params, *names) or ""
        text = raw
        if msg_type == "3":
            try:
                text = p.decode_ucs2_hex(raw)
            except ValueError:  # includes UnicodeDecodeError (lone surrogates)
                raise p.ApiError(p.BAD_MESSAGE) from None
        if not text or len(text) > limit:
            raise p.ApiError(p.BAD_MESSAGE)
        return text, int(msg_type)

    # --- sending --------------------------------------------------------------------------

    def _send(self, params: Params, channel: str, *, plain: bool) -> str:
        if plain:
            account = self._auth_plain(params)
        else:
            account = self._auth(
                params, lambda pw: (params.get("username", ""), pw, params.get("mobile", ""))
            )
        trxid = params.get("trxid", "")
        if len(trxid) > p.MAX_TRXID_CHARS:
            raise p.ApiError(p.FAILED)
        try:
            return self._send_as(account, params, channel, trxid)
        except p.ApiError as err:
            if trxid and self.cfg.trxid_remembers_failures:
                # Like a gateway that books the trxid on arrival: its first answer, even a
                # failure, is the answer to every repeat (unless a concurrent repeat won).
                return self.store.remember_trxid(account, trxid, err.code)
            raise

    def _send_as(self, account: str, params: Params, channel: str, trxid: str) -> str:
        text, msg_type = self._message_text(params, ("message",), p.MAX_MESSAGE_CHARS)
        mobile = params.get("mobile", "").strip()
        if not p.valid_mobile(mobile):
            raise p.ApiError(p.BAD_NUMBER)
        if channel == "whatsapp":
            if p.normalise_mobile(mobile).startswith(tuple(self.cfg.no_wa_prefixes)):
                raise p.ApiError(p.NO_WHATSAPP)
            segments = 1
        else:
            segments = count_segments(text, ucs2=msg_type == 3)
        body, pending = self.store.send(
            account,
            channel,
            [Outgoing(mobile, text, msg_type, segments)],
            delay_s=self.cfg.dlr_delay_ms / 1000,
            trxid=trxid or None,
            success_body=lambda msgid: p.send_success_body(msgid, self.cfg.send_success),
        )
        self.scheduler.schedule(pending)
        return body

    def _send_group(self, params: Params) -> str:
        account = self._auth_user(params)
        text, msg_type = self._message_text(params, ("msg", "message"), p.MAX_GROUP_MESSAGE_CHARS)
        group = params.get("group", "").strip()
        members = self.store.group_members(account, group) if group else None
        if members is None:
            raise p.ApiError(p.BAD_GROUP_NAME)
        if not members:
            raise p.ApiError(p.GROUP_EMPTY)
        segments = count_segments(text, ucs2=msg_type == 3)
        body, pending = self.store.send(
            account,
            "sms",
            [Outgoing(m, text, msg_type, segments) for m in members],
            delay_s=self.cfg.dlr_delay_ms / 1000,
            group_name=group,
            success_body=lambda batch: p.send_success_body(batch, self.cfg.send_success),
        )
        self.scheduler.schedule(pending)
        return body

    def _report(self, params: Params) -> str:
        # username/auth are accepted but not required (public clients call it both ways).
        status = self.store.status(params.get("msgid", "").strip())
        if status is None:
            raise p.ApiError(p.BAD_MSGID)
        return status

    def _credits(self, params: Params) -> str:
        return str(self.store.credit(self._auth_user(params)))

    def _change_password(self, params: Params) -> str:
        account = self._auth_user(params)
        new = _first(params, "newpasw", "newpass", "newpassword") or ""
        if not new:
            raise p.ApiError(p.FAILED)
        self.store.change_password(account, new)
        return p.OK

    # --- phonebook ------------------------------------------------------------------------

    def _phbk_add(self, params: Params) -> str:
        account = self._auth(params, lambda pw: (params.get("mobile", ""), pw))
        name = params.get("name", "").strip()
        mobile = params.get("mobile", "").strip()
        group = params.get("group", "").strip()
        if not name:
            raise p.ApiError(p.BAD_CONTACT_NAME)
        if not p.valid_mobile(mobile):
            raise p.ApiError(p.BAD_NUMBER)
        if not group:
            raise p.ApiError(p.BAD_GROUP_NAME)
        birth = params.get("birth")
        self._check_birth(birth)
        new_id = self.store.add_contact(
            account,
            name=name,
            mobile=mobile,
            group=group,
            address=params.get("address", ""),
            birth=birth or None,
            desc=params.get("desc", ""),
            create_group=False,
        )
        return p.add_success_body(new_id, self.cfg.add_success)

    def _phbk_edit(self, params: Params) -> str:
        account = self._auth_id(params)
        contact_id = self._int_id(params, p.BAD_CONTACT_ID)
        name = params.get("name")
        mobile = params.get("mobile")
        group = params.get("group")
        if name is not None and not name.strip():
            raise p.ApiError(p.BAD_CONTACT_NAME)
        if mobile is not None and not p.valid_mobile(mobile.strip()):
            raise p.ApiError(p.BAD_NUMBER)
        if group is not None and not group.strip():
            raise p.ApiError(p.BAD_GROUP_NAME)
        birth = params.get("birth")
        self._check_birth(birth)
        self.store.edit_contact(
            account,
            contact_id,
            name=None if name is None else name.strip(),
            mobile=None if mobile is None else mobile.strip(),
            group=None if group is None else group.strip(),
            address=params.get("address"),
            birth=birth,
            desc=params.get("desc"),
        )
        return p.OK

    def _phbk_delete(self, params: Params) -> str:
        account = self._auth_id(params)
        self.store.delete_contact(account, self._int_id(params, p.BAD_CONTACT_ID))
        return p.OK

    def _phbk_list(self, params: Params, *, by_group: bool) -> str:
        account = self._auth_user(params)
        page, size = self._paging(params)
        group = params.get("group", "").strip() if by_group else None
        return self._contacts(self.store.list_contacts(account, page, size, group=group))

    def _phbk_complete(self, params: Params) -> str:
        account = self._auth_user(params)
        contact = self.store.get_contact(account, self._int_id(params, p.BAD_CONTACT_ID))
        if contact is None:
            raise p.ApiError(p.BAD_CONTACT_ID)
        # Complete data is always the full record, whatever the list form.
        return self._records([self._contact_record(contact, full=True)])

    def _phbk_find_name(self, params: Params) -> str:
        account = self._auth_user(params)
        return self._contacts(self.store.find_contacts(account, name=params.get("name", "")))

    def _phbk_find_number(self, params: Params) -> str:
        account = self._auth_user(params)
        names = {"both": ("no", "number"), "no": ("no",), "number": ("number",)}
        number = (_first(params, *names[self.cfg.number_param]) or "").strip()
        prefix = self.cfg.search_match == "prefix"
        return self._contacts(self.store.find_contacts(account, mobile=number, prefix=prefix))

    # --- groups ---------------------------------------------------------------------------

    def _group_add(self, params: Params) -> str:
        account = self._auth(params, lambda pw: (params.get("group", ""), pw))
        new_id = self.store.add_group(account, params.get("group", ""))
        return p.add_success_body(new_id, self.cfg.add_success)

    def _group_edit(self, params: Params) -> str:
        account = self._auth_id(params)
        group_id = self._int_id(params, p.BAD_GROUP_ID)
        self.store.edit_group(account, group_id, params.get("group", ""))
        return p.OK

    def _group_delete(self, params: Params) -> str:
        account = self._auth_id(params)
        self.store.delete_group(account, self._int_id(params, p.BAD_GROUP_ID))
        return p.OK

    def _group_list(self, params: Params) -> str:
        account = self._auth_user(params)
        page, size = self._paging(params)
        groups = self.store.list_groups(account, page, size)
        return self._records([(str(i), n) for i, n in groups])

    def _group_find(self, params: Params) -> str:
        account = self._auth_user(params)
        text = (_first(params, "group", "name") or "").strip()
        groups = self.store.find_groups(account, text, p.SEARCH_LIMIT)
        return self._records([(str(i), n) for i, n in groups])
