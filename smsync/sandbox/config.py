"""Sandbox configuration: every behaviour the real gateway might show differently is a switch."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smsync.sandbox.protocol import ROUTED_NAMES, endpoint_name

LIST_FORMS = ("full", "short")
SEPARATORS = ("unicode", "cp1252", "bytes")
SEND_SUCCESS_FORMS = ("comma", "concat", "colon", "pipe", "bare")
ADD_SUCCESS_FORMS = ("comma", "bare")
BIRTH_FORMS = ("yyyymmdd", "dmy", "iso", "slash")
FAULT_KINDS = ("1703", "drop", "drop-after", "403")
# Dialect switches a real gateway may differ in (docs/protocol.md, "Assumptions").
PATH_SPELLINGS = ("both", "camel", "underscore")  # phbkGetList and/or phbk_getList
NUMBER_PARAMS = ("both", "no", "number")  # phbkFindPhNumber's search parameter
SEARCH_MATCHES = ("substring", "prefix")  # how phbkFindPhNumber matches the stored mobile
#: The final delivery states a message can end in (what a delivery report carries).
FINAL_STATES = ("DELIVRD", "UNDELIVRD", "REJECTED", "EXPIRED")
CREDITS_PATHS = ("both", "api", "root")  # web2sms/api/creditsleft.aspx, web2sms/creditsleft.aspx
MD5_CHARSETS = ("utf-8", "cp1252")  # bytes the auth MD5 is computed over
# What a chaos run injects unless told otherwise: the faults that leave the outcome unknown.
DEFAULT_FAULT_KINDS = ("1703", "drop", "drop-after")


class ConfigError(ValueError):
    """A sandbox setting has an invalid value (message names the setting)."""


@dataclass(frozen=True)
class SandboxConfig:
    """Settings of one sandbox server (see smsync.sandbox for the meaning of each)."""

    db_path: str = ":memory:"  # or a SQLite file: state persists across restarts
    host: str = "127.0.0.1"
    port: int = 0  # 0 = ephemeral
    latency_ms: int = 0  # every API answer is delayed by this much...
    latency_jitter_ms: int = 0  # ...plus uniform random 0..jitter (seeded)
    fault_rate: float = 0.0  # share of API requests answered with one of fault_kinds
    fault_kinds: tuple[str, ...] = DEFAULT_FAULT_KINDS  # "1703" | "drop" | "drop-after" | "403"
    fault_paths: tuple[str, ...] = ()  # endpoint names (sendsmsgroup, ...) faults hit; () = all
    seed: int | None = None  # RNG seed for faults and jitter
    max_page_size: int = 100  # larger `size` is clamped silently
    list_form: str = "full"  # contact records in lists: full (7 fields) | short (4)
    separator: str = "unicode"  # U+0080/U+0081 | cp1252 (U+20AC field) | bytes (latin-1 body)
    send_success: str = "comma"  # 1701,ID | concat 1701ID | colon | pipe | bare 1701
    add_success: str = "comma"  # phbkAdd/groupAdd: 1701,ID | bare 1701
    birth_form: str = "yyyymmdd"  # birth in records: yyyymmdd | dmy | iso | slash
    paths: str = "both"  # phonebook lookups answer camelCase, underscore names, or both
    number_param: str = "both"  # phbkFindPhNumber reads `no`, `number`, or either
    search_match: str = (
        "substring"  # phbkFindPhNumber matches the stored mobile: substring | prefix
    )
    credits_path: str = "both"  # where creditsleft.aspx answers
    error_suffix: str = ""  # appended to every error code (a code followed by markup)
    md5_charset: str = "utf-8"  # encoding of the auth MD5 input
    proxy_port: int | None = None  # ~proxy/*.php only on this second port (0: ephemeral)
    raw_fields: bool = False  # list stored values raw, separators included (no cleaning)
    trxid_remembers_failures: bool = False  # a failed send's trxid answers its failure again
    no_wa_prefixes: tuple[str, ...] = ()  # 628... prefixes without WhatsApp (1751)
    undeliverable_prefixes: tuple[str, ...] = ()  # 628... prefixes that end UNDELIVRD
    # "PREFIX=STATE": messages to 628... numbers starting with PREFIX end in STATE (DELIVRD,
    # UNDELIVRD, REJECTED or EXPIRED); the longest prefix wins; others end DELIVRD
    final_states: tuple[str, ...] = ()
    dlr_delay_ms: int = 50  # SENT -> final state after this long
    dlr_url: str | None = None  # default DLR URL (%id, %s) for accounts created later
    # Robustness limits (not in the contract; generous for any real client).
    max_url_bytes: int = 8192  # longer request line -> 414
    max_body_bytes: int = 65536  # larger POST body -> 413
    socket_timeout_s: float = 10.0  # slow or idle clients are disconnected
    dlr_timeout_s: float = 2.0  # bound on each delivery-report GET

    def __post_init__(self) -> None:
        # Accept lists from callers (CLI, tests) but store tuples so the config stays hashable.
        for name in ("fault_kinds", "no_wa_prefixes", "undeliverable_prefixes", "final_states"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "fault_paths", tuple(endpoint_name(n) for n in self.fault_paths))
        self.validate()

    def validate(self) -> None:
        choices = {
            "list_form": LIST_FORMS,
            "separator": SEPARATORS,
            "send_success": SEND_SUCCESS_FORMS,
            "add_success": ADD_SUCCESS_FORMS,
            "birth_form": BIRTH_FORMS,
            "paths": PATH_SPELLINGS,
            "number_param": NUMBER_PARAMS,
            "search_match": SEARCH_MATCHES,
            "credits_path": CREDITS_PATHS,
            "md5_charset": MD5_CHARSETS,
        }
        for name, allowed in choices.items():
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(f"{name}: {value!r} is not one of {', '.join(allowed)}")
        for kind in self.fault_kinds:
            if kind not in FAULT_KINDS:
                raise ConfigError(f"fault_kinds: {kind!r} is not one of {', '.join(FAULT_KINDS)}")
        for name in self.fault_paths:
            if name not in ROUTED_NAMES:
                raise ConfigError(
                    f"fault_paths: {name!r} is not an endpoint (e.g. sendsmsgroup, phbkadd)"
                )
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ConfigError(f"fault_rate: {self.fault_rate} is not between 0 and 1")
        if self.fault_rate > 0 and not self.fault_kinds:
            raise ConfigError("fault_kinds: empty while fault_rate > 0")
        for name in ("latency_ms", "latency_jitter_ms", "dlr_delay_ms", "port"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name}: must not be negative")
        if self.proxy_port is not None and not 0 <= self.proxy_port <= 65535:
            raise ConfigError("proxy_port: must be a port number (0: any free port)")
        if any(ch in self.error_suffix for ch in "\x80\x81"):
            raise ConfigError("error_suffix: must not hold a record or field separator")
        if self.max_page_size < 1:
            raise ConfigError("max_page_size: must be at least 1")
        for rule in self.final_states:
            prefix, _, state = rule.partition("=")
            if not prefix.isdigit() or state.upper() not in FINAL_STATES:
                raise ConfigError(
                    f"final_states: {rule!r} is not PREFIX=STATE with a 628... prefix and one "
                    f"of {', '.join(FINAL_STATES)}"
                )
        if self.dlr_url is not None and not self.dlr_url.startswith(("http://", "https://")):
            raise ConfigError("dlr_url: must be an http:// or https:// URL (with %id and %s)")


#: The switches a dialect file may set: how a gateway answers, not how the sandbox runs.
DIALECT_KEYS = frozenset(
    {
        "paths",
        "number_param",
        "search_match",
        "credits_path",
        "error_suffix",
        "md5_charset",
        "max_page_size",
        "list_form",
        "separator",
        "birth_form",
        "send_success",
        "add_success",
        "raw_fields",
        "trxid_remembers_failures",
    }
)


def load_dialect(path: str) -> dict[str, Any]:
    """The switches of a dialect file: a JSON object of them, or the output of
    ``smsync doctor --json`` (its ``sandbox`` object). ConfigError naming the file and the key
    for anything else; values are checked when the SandboxConfig is made."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable JSON file ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("sandbox"), dict):
        data = data["sandbox"]
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a dialect file holds a JSON object of switches")
    unknown = sorted(set(data) - DIALECT_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: {unknown[0]!r} is not a dialect switch ({', '.join(sorted(DIALECT_KEYS))})"
        )
    for key, value in data.items():
        want: type = {
            "max_page_size": int,
            "raw_fields": bool,
            "trxid_remembers_failures": bool,
        }.get(key, str)
        if type(value) is not want:
            noun = {int: "an integer", bool: "true or false"}.get(want, "a string")
            raise ConfigError(f"{path}: {key}: {value!r} is not {noun}")
    return dict(data)
