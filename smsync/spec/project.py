"""The project file (smsync.yaml) and gateway credentials.

Settings resolve in this order: command-line option, environment (SMSYNC_ENDPOINT,
SMSYNC_USERNAME, SMSYNC_PASSWORD), smsync.yaml. The password never comes from smsync.yaml or a
command-line value: only SMSYNC_PASSWORD, --password-file, or a credentials file that only its
owner can read. A sandbox:// endpoint reads no password at all: the embedded sandbox has its own
fixed one, so the real password never reaches a sandbox file.
"""

from __future__ import annotations

import configparser
import enum
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import phonenumbers
import yaml
from yaml.nodes import MappingNode, ScalarNode

from smsync.endpoint import SANDBOX_PASSWORD, SANDBOX_SCHEME
from smsync.errors import SmsyncError
from smsync.spec.errors import SpecErrors, SpecProblem
from smsync.spec.hours import parse_sending_hours
from smsync.spec.localfile import LocalFileError, read_text_file, require_regular
from smsync.spec.model import Location, SendingHours
from smsync.spec.schema import PROJECT_SCHEMA, validate_doc
from smsync.spec.yamldoc import YamlDoc, load_yaml_file

PROJECT_FILE = "smsync.yaml"
#: Password and credentials files larger than this are refused, not read.
MAX_SECRET_FILE_BYTES = 64_000
DEFAULT_LEDGER = ".smsync/ledger.sqlite"
STATE_ENV = "SMSYNC_STATE"
DEFAULT_REGION = "ID"
# The embedded sandbox creates its account itself with this fixed password (kept under this
# name for callers of earlier versions).
SANDBOX_DEFAULT_PASSWORD = SANDBOX_PASSWORD


@dataclass(frozen=True)
class Safety:
    """Limits plan/apply and broadcasts enforce (see the README for what each one guards)."""

    max_delete_share: float = 0.30
    max_update_share: float = 0.30
    min_existing: int = 10
    max_recipients: int = 1000
    max_segments_per_message: int = 3
    max_total_segments: int = 3000


@dataclass(frozen=True)
class Account:
    """Another account of the gateway (``gateway.accounts``): the per-contact messages to
    numbers its rule matches go through it; everything else uses the main account."""

    name: str
    username: str
    where: str  # file:line of its entry in smsync.yaml
    endpoint: str | None = None  # None: the main account's
    password_env: str | None = None  # None: the credentials file's entry for ``username``
    operators: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    def matches(self, number: str, operator: str) -> bool:
        """Whether the message to ``number`` (E.164; its ``operator``) goes through it."""
        return operator in self.operators or number.startswith(self.prefixes)


@dataclass
class Project:
    root: Path
    config_file: Path | None = None
    endpoint: str | None = None  # as written in smsync.yaml (sandbox paths made absolute)
    username: str | None = None
    region: str = DEFAULT_REGION
    spec_globs: list[str] = field(default_factory=list)  # empty: the default discovery
    safety: Safety = field(default_factory=Safety)
    suppression_file: Path | None = None
    ledger_path: Path = Path(DEFAULT_LEDGER)
    page_size: int | None = None
    gsm7_as_type0: bool = False  # gateway.gsm7_as_type0: sends and segment counts
    md5_charset: str = "utf-8"  # gateway.md5_charset
    timeout: float | None = None  # gateway.timeout: seconds per answer (None: the client's)
    sender: str | None = None  # gateway.sender: "alpha" | "numeric" (None: not said)
    state: str | None = None  # `state:` as written (None: the local ledger file)
    sending_hours: SendingHours | None = None  # broadcasts wait outside them
    accounts: list[Account] = field(default_factory=list)  # gateway.accounts, in order

    def state_url(self, env: Mapping[str, str] | None = None) -> str:
        """Where the state lives: SMSYNC_STATE, then `state:`, then `ledger:` (local)."""
        env = os.environ if env is None else env
        chosen = _require_utf8(env.get(STATE_ENV), STATE_ENV) or self.state
        return chosen or f"local:{self.ledger_path}"


def load_project(root: Path) -> Project:
    """Read ``root/smsync.yaml`` if present (defaults otherwise). Raises SpecErrors."""
    root = root.resolve()
    cfg = root / PROJECT_FILE
    project = Project(root=root, ledger_path=root / DEFAULT_LEDGER)
    if not cfg.is_file():
        return project
    shown = _shown(cfg, root)
    docs, problems = load_yaml_file(cfg, shown)
    if len(docs) > 1:
        problems.append(SpecProblem(docs[1].where, "", f"{PROJECT_FILE} must hold one document"))
    if problems:
        raise SpecErrors(problems)
    project.config_file = cfg
    if not docs:
        return project
    doc = docs[0]
    problems = validate_doc(doc, PROJECT_SCHEMA)
    if problems:
        raise SpecErrors(problems)
    data: dict[str, Any] = doc.data
    gw = data.get("gateway", {})
    if "endpoint" in gw:
        project.endpoint = _absolute_endpoint(gw["endpoint"], root)
    project.username = gw.get("username")
    project.page_size = gw.get("page_size")
    project.gsm7_as_type0 = bool(gw.get("gsm7_as_type0", False))
    project.md5_charset = str(gw.get("md5_charset", "utf-8"))
    project.timeout = float(gw["timeout"]) if "timeout" in gw else None
    project.sender = gw.get("sender")
    project.region = str(data.get("defaults", {}).get("region", DEFAULT_REGION)).upper()
    if project.region not in phonenumbers.SUPPORTED_REGIONS:
        raise SpecErrors(
            [
                SpecProblem(
                    Location(shown),
                    "defaults.region",
                    f"unknown region {project.region!r}: use a two-letter country code such as ID",
                )
            ]
        )
    project.accounts = _accounts(doc, gw.get("accounts", []), root, project.region)
    project.spec_globs = list(data.get("spec", []))
    project.safety = Safety(**data.get("safety", {}))
    if "suppression_file" in data:
        project.suppression_file = root / data["suppression_file"]
    if "sending_hours" in data:
        hours = parse_sending_hours(data["sending_hours"])
        if isinstance(hours, str):
            raise SpecErrors([SpecProblem(Location(shown), "sending_hours", hours)])
        project.sending_hours = hours
    if "ledger" in data:
        project.ledger_path = root / data["ledger"]
    if "state" in data:
        if "ledger" in data:
            raise SpecErrors(
                [
                    SpecProblem(
                        doc.locate_key((), "state"),
                        "state",
                        "set `state:` or `ledger:`, not both "
                        "(`ledger: PATH` is `state: local:PATH`)",
                    )
                ]
            )
        project.state = data["state"]
    return project


def _accounts(
    doc: YamlDoc, entries: list[dict[str, Any]], root: Path, region: str
) -> list[Account]:
    """``gateway.accounts`` (schema-valid) as Accounts; SpecErrors naming file:line for what
    the schema cannot see: a name used twice, an operator the carrier data does not know (a
    misspelt one would route nothing), an operator given to two accounts."""
    problems: list[SpecProblem] = []
    accounts: list[Account] = []
    names: set[str] = set()
    routed: dict[str, str] = {}
    # The carrier data is read only for a rule that names an operator: loading it is a good
    # part of the start-up of every command otherwise.
    known: frozenset[str] | None = None
    for i, e in enumerate(entries):
        path: tuple[str | int, ...] = ("gateway", "accounts", i)
        here = f"gateway.accounts[{i}]"
        if e["name"] in names:
            where = doc.locate_key(path, "name")
            problems.append(SpecProblem(where, f"{here}.name", f"{e['name']!r} is used twice"))
        names.add(e["name"])
        for j, op in enumerate(e.get("operators", [])):
            where = doc.locate((*path, "operators", j))
            field_ = f"{here}.operators[{j}]"
            if known is None:
                from smsync.operators import operator_names

                known = operator_names(region)
            if op not in known:
                shown = ", ".join(sorted(known))
                problems.append(
                    SpecProblem(where, field_, f"unknown operator {op!r} (known: {shown})")
                )
            elif routed.setdefault(op, e["name"]) != e["name"]:
                problems.append(
                    SpecProblem(where, field_, f"{op} already goes through '{routed[op]}'")
                )
        accounts.append(
            Account(
                name=e["name"],
                username=e["username"],
                where=str(doc.locate(path)),
                endpoint=_absolute_endpoint(e["endpoint"], root) if "endpoint" in e else None,
                password_env=e.get("password_env"),
                operators=frozenset(e.get("operators", [])),
                prefixes=tuple(e.get("prefixes", [])),
            )
        )
    if problems:
        raise SpecErrors(problems)
    return accounts


def switch_state_setting(project: Project, url: str) -> Path:
    """Make ``state: URL`` the project's setting in smsync.yaml (replacing ``state:`` or
    ``ledger:``), line by line so that comments stay; the file written."""
    cfg = project.config_file or project.root / PROJECT_FILE
    lines = cfg.read_text(encoding="utf-8").splitlines() if cfg.is_file() else []
    kept = [line for line in lines if not line.startswith(("state:", "ledger:"))]
    kept.append(f"state: {json.dumps(url)}")
    cfg.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return cfg


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _absolute_endpoint(endpoint: str, base: Path) -> str:
    """``sandbox://rel/path`` -> ``sandbox:///abs/path`` (relative to ``base``)."""
    if endpoint.startswith(SANDBOX_SCHEME):
        p = Path(endpoint[len(SANDBOX_SCHEME) :])
        return SANDBOX_SCHEME + str(p if p.is_absolute() else (base / p).resolve())
    return endpoint


# --- credentials ---------------------------------------------------------------------------


class CredentialsError(SmsyncError):
    """Endpoint, username or password missing or unusable. Never quotes a password."""


class PasswordOrigin(enum.Enum):
    """Where the password in use was read: what must change when the password changes."""

    PASSWORD_FILE = "password file"
    ENVIRONMENT = "environment variable"
    CREDENTIALS_FILE = "credentials file"
    SANDBOX = "embedded sandbox"  # fixed (SANDBOX_PASSWORD); nothing was read


#: The environment variable the password may come from.
PASSWORD_ENV = "SMSYNC_PASSWORD"


@dataclass(frozen=True)
class PasswordSource:
    origin: PasswordOrigin
    path: Path | None = None  # the file, for the file origins

    def __str__(self) -> str:
        if self.origin is PasswordOrigin.ENVIRONMENT:
            return f"${PASSWORD_ENV}"
        return f"{self.origin.value} {self.path}" if self.path else self.origin.value


@dataclass(frozen=True)
class Credentials:
    endpoint: str
    username: str
    password: str = field(repr=False)
    source: PasswordSource | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.username}@{self.endpoint}"


def default_credentials_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "smsync" / "credentials"


def resolve_credentials(
    project: Project,
    *,
    endpoint: str | None = None,
    username: str | None = None,
    password_file: Path | None = None,
    credentials_file: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Credentials:
    """Endpoint, username and password, from CLI options, environment, then smsync.yaml."""
    env = os.environ if env is None else env
    ep = _require_utf8(endpoint, "--endpoint") or _require_utf8(
        env.get("SMSYNC_ENDPOINT"), "SMSYNC_ENDPOINT"
    )
    ep = _absolute_endpoint(ep, Path.cwd()) if ep else project.endpoint
    if not ep:
        raise CredentialsError(
            "no gateway endpoint: pass --endpoint URL, set SMSYNC_ENDPOINT, or set "
            "gateway.endpoint in smsync.yaml"
        )
    if not ep.startswith(("http://", "https://", SANDBOX_SCHEME)):
        # Quote only the scheme: a mistyped URL may carry credentials ("htp://u:pw@host").
        scheme = ep.split(":", 1)[0][:20] if ":" in ep else ep[:20]
        raise CredentialsError(
            f"endpoint scheme {scheme!r} is not supported: the endpoint must start with "
            "http://, https:// or sandbox://"
        )
    user = (
        _require_utf8(username, "--username")
        or _require_utf8(env.get("SMSYNC_USERNAME"), "SMSYNC_USERNAME")
        or project.username
    )
    if not user:
        raise CredentialsError(
            "no username: pass --username, set SMSYNC_USERNAME, or set gateway.username in "
            "smsync.yaml"
        )
    if ep.startswith(SANDBOX_SCHEME):
        # The real password must not reach the sandbox or its file, so it is not looked up.
        # A file named on the command line is still checked: a mistyped path is reported
        # rather than ignored (it may mean the user meant another endpoint).
        if password_file is not None:
            _read_password_file(password_file)
        if credentials_file is not None:
            read_credentials_file(credentials_file)
        return Credentials(ep, user, SANDBOX_PASSWORD, PasswordSource(PasswordOrigin.SANDBOX))
    password, source = _password(user, password_file, credentials_file, env)
    return Credentials(ep, user, password, source)


def account_credentials(
    account: Account,
    main: Credentials,
    *,
    credentials_file: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Credentials:
    """The credentials of one of ``gateway.accounts``: its endpoint (the main account's
    unless it names one), its username, and its password from ``password_env`` or else the
    credentials file's entry for its username (as for the main account)."""
    env = os.environ if env is None else env
    ep = account.endpoint or main.endpoint
    what = f"{account.where}: gateway.accounts '{account.name}'"
    if ep.startswith(SANDBOX_SCHEME):
        return Credentials(ep, account.username, SANDBOX_PASSWORD)
    if account.password_env:
        password = _require_utf8(env.get(account.password_env), account.password_env)
        if not password:
            raise CredentialsError(f"{what}: {account.password_env} is not set (its password)")
        return Credentials(ep, account.username, password)
    explicit = credentials_file or (
        Path(env["SMSYNC_CREDENTIALS_FILE"]) if env.get("SMSYNC_CREDENTIALS_FILE") else None
    )
    cred_path = explicit or default_credentials_file()
    table = read_credentials_file(cred_path) if cred_path.is_file() or explicit else {}
    if account.username not in table:
        raise CredentialsError(
            f"{what}: no password for user {account.username!r}: set password_env, or add "
            f"'{account.username}: PASSWORD' to {cred_path} (chmod 600)"
        )
    return Credentials(ep, account.username, table[account.username])


def named_credentials_file(credentials_file: Path | None, env: Mapping[str, str]) -> Path | None:
    """The credentials file named by --credentials-file, else by $SMSYNC_CREDENTIALS_FILE; None
    when neither names one (the default one is then read if it exists)."""
    named = env.get("SMSYNC_CREDENTIALS_FILE")
    return credentials_file or (Path(named) if named else None)


def _password(
    user: str,
    password_file: Path | None,
    credentials_file: Path | None,
    env: Mapping[str, str],
) -> tuple[str, PasswordSource]:
    if password_file is not None:
        source = PasswordSource(PasswordOrigin.PASSWORD_FILE, password_file)
        return _read_password_file(password_file), source
    if env.get(PASSWORD_ENV):
        source = PasswordSource(PasswordOrigin.ENVIRONMENT)
        return _require_utf8(env[PASSWORD_ENV], PASSWORD_ENV), source
    explicit = named_credentials_file(credentials_file, env)
    cred_path = explicit or default_credentials_file()
    if explicit is not None or cred_path.is_file():
        table = read_credentials_file(cred_path)
        if user in table:
            return table[user], PasswordSource(PasswordOrigin.CREDENTIALS_FILE, cred_path)
        if explicit is not None:
            raise CredentialsError(f"credentials file {cred_path} has no entry for user {user!r}")
    raise CredentialsError(
        f"no password for user {user!r}: set SMSYNC_PASSWORD, pass --password-file FILE, or add "
        f"'{user}: PASSWORD' to {cred_path} (chmod 600)"
    )


@overload
def _require_utf8(value: str, source: str) -> str: ...
@overload
def _require_utf8(value: str | None, source: str) -> str | None: ...


def _require_utf8(value: str | None, source: str) -> str | None:
    """``value``, refused when it is not UTF-8 text. Command-line values and variables holding
    such bytes reach Python as lone surrogates (PEP 383); refused here, by the setting's name,
    before an encoder's message can quote a position inside the value (a hint about a
    password)."""
    if value is not None:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise CredentialsError(f"{source} is not valid UTF-8 text") from None
    return value


def _read_password_file(path: Path) -> str:
    try:
        pw = read_text_file(path, max_bytes=MAX_SECRET_FILE_BYTES, encoding="utf-8")
    except LocalFileError as e:
        raise CredentialsError(f"password file {e}") from None
    pw = pw.rstrip("\r\n")
    if not pw:
        raise CredentialsError(f"password file {path} is empty")
    return pw


def read_credentials_file(path: Path) -> dict[str, str]:
    """A YAML mapping ``username: password`` or an INI file (``[username]`` sections with a
    ``password`` key, or ``username = password`` lines). Refused if group/other can read it."""
    try:
        st = path.stat()
        require_regular(path, st.st_mode)  # a FIFO's or a directory's mode means nothing here
    except LocalFileError as e:
        raise CredentialsError(f"credentials file {e}") from None
    except FileNotFoundError:
        raise CredentialsError(f"credentials file {path} does not exist") from None
    except OSError as e:
        raise CredentialsError(f"cannot read credentials file {path}: {e.strerror}") from None
    if os.name == "posix" and st.st_mode & 0o077:
        raise CredentialsError(
            f"credentials file {path} is accessible by group/others (mode "
            f"{stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}"
        )
    try:
        text = read_text_file(path, max_bytes=MAX_SECRET_FILE_BYTES, encoding="utf-8")
    except LocalFileError as e:
        raise CredentialsError(f"credentials file {e}") from None
    table = parse_credentials(text)
    if table is None:
        # Never quote the parser's message: it would show a line of the file (a password).
        raise CredentialsError(
            f"credentials file {path} is neither a YAML mapping 'username: password' nor an "
            "INI file"
        )
    return table


def parse_credentials(text: str) -> dict[str, str] | None:
    """A credentials file's text as ``{username: password}`` (None: neither form)."""
    table = _credentials_yaml(text)
    return _credentials_ini(text) if table is None else table


def _credentials_yaml(text: str) -> dict[str, str] | None:
    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    if not isinstance(node, MappingNode):
        return None
    out: dict[str, str] = {}
    for k, v in node.value:
        # Raw scalar text: YAML would turn a password like 0123 or 1.50 into a number.
        if not isinstance(k, ScalarNode) or not isinstance(v, ScalarNode):
            return None
        out[k.value] = v.value
    return out


def _credentials_ini(text: str) -> dict[str, str] | None:
    # Only "=" separates keys from values: a broken YAML line such as "demo: [" must not be
    # read as an INI entry (and its value taken for a password).
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # usernames keep case
    try:
        try:
            parser.read_string(text)
        except configparser.MissingSectionHeaderError:
            parser.read_string("[credentials]\n" + text)
    except configparser.Error:
        return None
    out: dict[str, str] = {}
    for section in parser.sections():
        items = dict(parser.items(section, raw=True))
        if set(items) == {"password"}:
            out[section] = items["password"]
        else:
            out.update({k: v for k, v in items.items() if k != "password"})
    return out or None
