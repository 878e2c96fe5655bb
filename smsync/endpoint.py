"""How to reach a gateway: a real URL, or ``sandbox://PATH`` for the embedded sandbox.

``sandbox://PATH`` runs the sandbox gateway in-process on an ephemeral loopback port, persisted
in the SQLite file PATH (relative to the project directory), and creates the account on first
use. The rest of smsync then talks to it over real HTTP exactly as it would to the real
gateway, so nothing depends on sandbox-only behaviour.

The embedded sandbox's account always has the fixed ``SANDBOX_PASSWORD``, whatever password the
caller holds: the user's real password is never sent to it nor written into its file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from smsync.errors import SmsyncError

if TYPE_CHECKING:
    from smsync.gateway.client import Client

SANDBOX_SCHEME = "sandbox://"
#: Credit given to an account the embedded sandbox creates for itself.
EMBEDDED_CREDIT = 1_000_000
#: The embedded sandbox's own password for its account. Fixed and public on purpose: a sandbox
#: file is a test fixture that ends up in backups and bug reports, so it must never hold the
#: user's real password (which is neither read nor sent for a sandbox:// endpoint).
SANDBOX_PASSWORD = "sandbox"


class HasCredentials(Protocol):
    @property
    def endpoint(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def password(self) -> str: ...


def is_sandbox(endpoint: str) -> bool:
    return endpoint.startswith(SANDBOX_SCHEME)


def sandbox_db_path(endpoint: str, base_dir: Path | None = None) -> Path:
    raw = endpoint[len(SANDBOX_SCHEME) :]
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    return path


@contextmanager
def open_client(
    creds: HasCredentials, *, base_dir: Path | None = None, **client_options: Any
) -> Iterator[Client]:
    """Yield a Client for ``creds.endpoint``; start and stop an embedded sandbox when needed."""
    # Imported here: `smsync validate` reads smsync.yaml through this module's constants and
    # never needs the HTTP stack.
    from smsync.gateway.client import Client

    if not is_sandbox(creds.endpoint):
        try:
            client = Client(creds.endpoint, creds.username, creds.password, **client_options)
        except ValueError as exc:  # a malformed endpoint: a user mistake, not a traceback
            raise SmsyncError(str(exc)) from None
        with client:
            yield client
        return

    # Imported here: the sandbox is only loaded when a sandbox:// endpoint is used.
    from smsync.sandbox import SandboxConfig, SandboxServer, StoreError

    db = sandbox_db_path(creds.endpoint, base_dir)
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        _forget_stored_password(db, creds.username)
        sandbox = SandboxServer(SandboxConfig(db_path=str(db)))
    except (OSError, StoreError) as exc:  # e.g. `sandbox://` (a directory) or an unreadable file
        raise SmsyncError(f"sandbox endpoint {creds.endpoint!r}: {exc}") from None
    with sandbox as server:
        server.store.ensure_account(creds.username, SANDBOX_PASSWORD, credit=EMBEDDED_CREDIT)
        with Client(server.url, creds.username, SANDBOX_PASSWORD, **client_options) as client:
            yield client


def _forget_stored_password(db: Path, username: str) -> None:
    """Older versions stored the user's real password in the sandbox file. Replace any password
    other than SANDBOX_PASSWORD for ``username`` and rebuild the file (VACUUM, then truncate the
    write-ahead log), so the old value is not left behind in freed pages or log frames.

    Anything unexpected (no such file, not a sandbox database yet, locked) is left to the
    sandbox server, which reports it or creates the database."""
    import sqlite3

    if not db.is_file():
        return
    try:
        conn = sqlite3.connect(db, isolation_level=None, timeout=5)
    except sqlite3.Error:
        return
    try:
        row = conn.execute(
            "SELECT password FROM accounts WHERE username = ?", (username,)
        ).fetchone()
        if row is None or row[0] == SANDBOX_PASSWORD:
            return
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute(
            "UPDATE accounts SET password = ? WHERE username = ?", (SANDBOX_PASSWORD, username)
        )
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error:
        return
    finally:
        conn.close()


_DEFAULT_PORTS = {"http": 80, "https": 443}


def public_endpoint(endpoint: str) -> str:
    """The endpoint as shown in plans and ledgers: scheme, host, port and path only (never a
    query or userinfo), normalised so that spellings of one URL compare equal
    (``HTTPS://GW.example:443/`` is ``https://gw.example``)."""
    if "://" not in endpoint or is_sandbox(endpoint):
        return endpoint
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return endpoint.split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1]
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host += f":{port}"
    return f"{scheme}://{host}{parts.path.rstrip('/')}"
