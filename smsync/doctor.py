"""`smsync doctor`: first contact with a live gateway, read-only.

The workflow: open the endpoint, let :func:`smsync.gateway.dialect.probe_dialect` ask every
question the reference leaves open, and turn the answers into three things a user can act on:
a table of findings (what the gateway does, and what smsync does about it), the ``gateway:``
settings for ``smsync.yaml``, and the ``smsync sandbox serve`` flags that make the sandbox
answer the same way (so that what was learned keeps being tested offline).

Nothing here writes to the gateway: the probes are reads (``Client.probe`` refuses anything
else), and a finding that could not be settled says why instead of guessing.
"""

from __future__ import annotations

import json
import re
import secrets
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smsync.endpoint import HasCredentials, is_sandbox, open_client, public_endpoint
from smsync.gateway.auth import SECRET_PARAMS
from smsync.gateway.client import Exchange
from smsync.gateway.dialect import (
    PROBE_NAME,
    PROBE_SIZES,
    Dialect,
    probe_dialect,
    probe_trxid,
    probe_writes,
)
from smsync.outfile import check_writable, write_atomically

#: The sandbox's defaults (SandboxConfig): a flag is printed for every settled value, and the
#: finding says when it differs from what smsync's sandbox assumes.
SANDBOX_DEFAULTS: dict[str, Any] = {
    "credits_path": "both",
    "paths": "both",
    "number_param": "both",
    "max_page_size": 100,
    "list_form": "full",
    "separator": "unicode",
    "birth_form": "yyyymmdd",
    "error_suffix": "",
    "md5_charset": "utf-8",
}


@dataclass(frozen=True)
class Finding:
    check: str
    seen: str
    action: str  # what smsync does about it (or what the user should do)


@dataclass
class Diagnosis:
    endpoint: str
    username: str
    dialect: Dialect
    findings: list[Finding] = field(default_factory=list)

    def sandbox_switches(self) -> dict[str, Any]:
        """The settled answers as SandboxConfig fields (unsettled ones are left out)."""
        d = self.dialect
        values = {
            "credits_path": d.credits_path,
            "paths": d.paths,
            "number_param": d.number_param,
            "max_page_size": d.max_page_size,
            "list_form": d.list_form,
            "separator": d.separator,
            "birth_form": d.birth_form,
            "error_suffix": d.error_suffix,
            "md5_charset": d.md5_charset,
            "add_success": d.add_success,
            "send_success": d.send_success,
            "trxid_remembers_failures": d.trxid_remembers_failures,
        }
        return {k: v for k, v in values.items() if v is not None}

    def sandbox_flags(self) -> str:
        flags = ["smsync", "sandbox", "serve"]
        for name, value in self.sandbox_switches().items():
            flag = f"--{name.replace('_', '-')}"
            if isinstance(value, bool):  # an on/off flag: named only when on
                flags += [flag] if value else []
            else:
                flags += [flag, str(value)]
        return " ".join(shlex.quote(f) for f in flags)

    def gateway_settings(self) -> str:
        lines = ["gateway:", f"  endpoint: {self.endpoint}", f"  username: {self.username}"]
        d = self.dialect
        if d.max_page_size is not None:
            lines.append(
                f"  page_size: {d.max_page_size}   # the largest page it serves: "
                "no probing for a cap"
            )
        if d.md5_charset is not None and d.md5_charset != "utf-8":
            lines.append(f"  md5_charset: {d.md5_charset}   # how it reads the auth MD5 input")
        return "\n".join(lines)


#: Parameters that carry a secret (or a digest of one): never written to a transcript.
# A phone number as it may appear in a parameter or a body: an Indonesian mobile (08…, 628…,
# +628…) or any run of 9 or more digits. Birth dates (8 digits) and ids stay readable.
_NUMBER = re.compile(r"(?<!\d)(?:(?:\+?62|0)8\d{6,}|\+?\d{9,})(?!\d)")
TRANSCRIPT_VERSION = 1
#: `smsync doctor --json`: keys may be added; a changed meaning changes the version.
DOCTOR_JSON_VERSION = 1


def mask_numbers(text: str) -> str:
    """``081234567890`` -> ``0812******90``: enough to tell numbers apart, not to dial one."""
    return _NUMBER.sub(lambda m: m[0][:4] + "*" * (len(m[0]) - 6) + m[0][-2:], text)


def redact(exchange: Exchange) -> dict[str, Any]:
    """One exchange as a transcript keeps it: no secret parameter, every number masked."""
    return {
        "method": exchange.method,
        "path": exchange.path,
        "params": {
            k: mask_numbers(v) for k, v in exchange.params.items() if k.lower() not in SECRET_PARAMS
        },
        "status": exchange.status,
        "body": mask_numbers(exchange.body),
    }


class Recorder:
    """Collects the redacted exchanges of a run (``--record FILE``)."""

    def __init__(self) -> None:
        self.exchanges: list[dict[str, Any]] = []

    def __call__(self, exchange: Exchange) -> None:
        self.exchanges.append(redact(exchange))

    def text(self, endpoint: str, username: str) -> str:
        return (
            json.dumps(
                {
                    "version": TRANSCRIPT_VERSION,
                    "endpoint": public_endpoint(endpoint),
                    "username": username,
                    "exchanges": self.exchanges,
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )


def scratch_group() -> str:
    """A group name no one uses: the write probe's, created and removed."""
    return f"smsync-doctor-{secrets.token_hex(4)}"


def diagnose(
    creds: HasCredentials,
    *,
    base_dir: Path | None = None,
    write_probe: bool = False,
    record: Path | None = None,
    sms_to: str | None = None,
) -> Diagnosis:
    """Probe the gateway ``creds`` name; raises InvalidCredentials, TransportError, ...

    ``write_probe`` (explicit consent only): also create a scratch group with one contact,
    see how writes are answered, and remove both. ``record``: write a redacted transcript of
    every exchange there (also when a probe fails: that is when it is wanted). ``sms_to``
    (consent, confirmed by the caller): send ONE SMS there to see what a trxid binds."""
    if record is not None:
        check_writable(record)
    recorder = Recorder()
    try:
        with open_client(creds, base_dir=base_dir, retries=0, on_exchange=recorder) as client:
            dialect = probe_dialect(client)
            if write_probe:
                probe_writes(client, dialect, scratch_group())
            if sms_to is not None:
                probe_trxid(client, dialect, sms_to, scratch_group())
            # The endpoint as the user wrote it (a sandbox:// one, not its loopback port).
            shown = creds.endpoint if is_sandbox(creds.endpoint) else client.endpoint
            diagnosis = Diagnosis(public_endpoint(shown), client.username, dialect)
    finally:
        if record is not None:
            write_atomically(record, recorder.text(creds.endpoint, creds.username))
    diagnosis.findings = findings(dialect)
    return diagnosis


def _unsettled(d: Dialect, key: str) -> str:
    return f"not settled: {d.unsettled.get(key, 'no answer')}"


def findings(d: Dialect) -> list[Finding]:
    """The table rows, one per question (a pure function of the answers)."""
    out = [Finding("credentials", f"accepted; balance {d.balance}", "—")]
    out.append(
        Finding(
            "balance path",
            {
                "both": "web2sms/api/creditsleft.aspx and web2sms/creditsleft.aspx",
                "api": "web2sms/api/creditsleft.aspx only",
                "root": "web2sms/creditsleft.aspx only",
            }.get(d.credits_path or "", _unsettled(d, "credits_path")),
            "the client tries both and keeps the one that answers",
        )
    )
    out.append(
        Finding(
            "error answers",
            "a bare code"
            if d.error_suffix == ""
            else (
                f"a code followed by {d.error_suffix[:30]!r}"
                if d.error_suffix is not None
                else "not settled: a wrong auth was not answered 1702"
            ),
            "the code is the first four characters, whatever follows",
        )
    )
    out.append(
        Finding(
            "lookup paths",
            {
                "both": "phbkGetList and phbk_getList",
                "camel": "phbkGetList only",
                "underscore": "phbk_getList only",
            }.get(d.paths or "", _unsettled(d, "paths")),
            "the client falls back to the other spelling on 404 and keeps it",
        )
    )
    out.append(
        Finding(
            "phone search parameter",
            {"both": "no and number", "no": "no only", "number": "number only"}.get(
                d.number_param or "", _unsettled(d, "number_param")
            ),
            "the client sends both",
        )
    )
    if d.max_page_size is not None:
        cap = (
            f"at most {d.max_page_size} rows a page",
            f"set gateway.page_size {d.max_page_size} (below)",
        )
    else:
        cap = (_unsettled(d, "max_page_size"), "paging probes for a cap as it reads")
    out.append(Finding("page size", *cap))
    out.append(
        Finding(
            "list records",
            {
                "full": "7 fields (id, name, mobile, group, address, birth, desc)",
                "short": "4 fields (id, name, mobile, group)",
            }.get(d.list_form or "", _unsettled(d, "list_form")),
            "details come from phbkGetCompleteData when needed" if d.list_form == "short" else "—",
        )
    )
    out.append(
        Finding(
            "separators",
            {
                "unicode": "U+0080 / U+0081 in UTF-8",
                "cp1252": "U+20AC (€) / U+0081 in UTF-8",
                "bytes": "raw bytes 0x80 / 0x81 (not UTF-8)",
            }.get(d.separator or "", _unsettled(d, "separator")),
            "read as they come",
        )
    )
    out.append(
        Finding(
            "birth dates",
            {
                "yyyymmdd": "YYYYMMDD",
                "dmy": "dd Mon yyyy",
                "iso": "YYYY-MM-DD",
                "slash": "dd/mm/yyyy",
            }.get(d.birth_form or "", _unsettled(d, "birth_form")),
            "read in any of the four forms",
        )
    )
    if d.search_match or d.search_limit:
        seen = ", ".join(
            filter(
                None,
                [
                    f"{d.search_match} match" if d.search_match else "",
                    f"at most {d.search_limit} rows" if d.search_limit else "",
                ],
            )
        )
    else:
        seen = _unsettled(d, "search")
    out.append(
        Finding("name search", seen, "smsync searches by whole numbers only (never near the cap)")
    )
    if d.add_success is not None:
        out.append(
            Finding(
                "add answers",
                {"comma": "1701,<new id>", "bare": "a bare 1701"}[d.add_success],
                "with a bare 1701, the new id is found by a lookup",
            )
        )
        trip = d.name_round_trip
        out.append(
            Finding(
                "stored names",
                "kept exactly" if trip == PROBE_NAME else f"{PROBE_NAME!r} listed as {trip!r}",
                "—"
                if trip == PROBE_NAME
                else "use names the gateway keeps (plan would edit them on every run)",
            )
        )
        out.append(
            Finding(
                "group delete with members",
                d.group_delete_with_members or "not settled",
                "smsync deletes the members first",
            )
        )
    if d.trxid_remembers_failures is not None:
        out.append(
            Finding(
                "trxid after a failure",
                "bound: a repeat answers the failure again"
                if d.trxid_remembers_failures
                else "free: a repeat after a failure sends",
                "an error answered to a used trxid is an unknown outcome, never a failure",
            )
        )
    if d.send_success is not None:
        out.append(
            Finding(
                "send answers",
                {
                    "comma": "1701,<msgid>",
                    "concat": "1701<msgid>",
                    "colon": "1701:<msgid>",
                    "pipe": "1701|<msgid>",
                    "bare": "a bare 1701",
                }[d.send_success],
                "read in any form",
            )
        )
        out.append(
            Finding(
                "repeated trxid",
                "the first answer again, nothing sent"
                if d.trxid_repeat_same
                else "a different answer: check the gateway sent nothing twice",
                "smsync retries sends with their trxid"
                if d.trxid_repeat_same
                else "report this: smsync's retries rely on it",
            )
        )
    out.append(
        Finding(
            "MD5 charset",
            d.md5_charset or _unsettled(d, "md5_charset"),
            (
                "smsync's default"
                if d.md5_charset == "utf-8"
                else f"set gateway.md5_charset {d.md5_charset} (below)"
            )
            if d.md5_charset
            else "—",
        )
    )
    return out


def render_text(diagnosis: Diagnosis) -> str:
    rows = [("check", "what the gateway does", "what smsync does")]
    rows += [(f.check, f.seen, f.action) for f in diagnosis.findings]
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    table = "\n".join(f"  {r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}".rstrip() for r in rows)
    return (
        f"smsync doctor: {diagnosis.username} at {diagnosis.endpoint} (read-only; page sizes "
        f"probed up to {PROBE_SIZES[-1]})\n\n{table}\n\n"
        f"Settings for smsync.yaml:\n\n{_indent(diagnosis.gateway_settings())}\n\n"
        f"A sandbox that answers the same way:\n\n  {diagnosis.sandbox_flags()}\n"
    )


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def to_json(diagnosis: Diagnosis) -> dict[str, Any]:
    d = diagnosis.dialect
    return {
        "version": DOCTOR_JSON_VERSION,
        "endpoint": diagnosis.endpoint,
        "username": diagnosis.username,
        "balance": str(d.balance) if d.balance is not None else None,
        "findings": [vars(f) for f in diagnosis.findings],
        "sandbox": diagnosis.sandbox_switches(),
        "unsettled": dict(d.unsettled),
        "search": {"match": d.search_match, "limit": d.search_limit},
        "writes": {
            "add_success": d.add_success,
            "name_round_trip": d.name_round_trip,
            "group_delete_with_members": d.group_delete_with_members,
            "send_success": d.send_success,
            "trxid_remembers_failures": d.trxid_remembers_failures,
            "trxid_repeat_same": d.trxid_repeat_same,
        },
    }
