"""How to reach a gateway: a real URL, or ``sandbox://PATH`` for the embedded sandbox.

``sandbox://PATH`` runs the sandbox gateway in-process on an ephemeral loopback port, persisted
in the SQLite file PATH (relative to the project directory), and creates the account on first
use. The rest of smsync then talks to it over real HTTP exactly as it would to the real
gateway, so nothing depends on sandbox-only behaviour.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from smsync.gateway.client import Client
from smsync.gateway.errors import SmsyncError

SANDBOX_SCHEME = "sandbox://"
#: Credit given to an account the embedded sandbox creates for itself.
EMBEDDED_CREDIT = 1_000_000


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
    raw = endpoint[len(SANDBOX_SCHEME):]
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    return path


@contextmanager
def open_client(
    creds: HasCredentials, *, base_dir: Path | None = None, **client_options: Any
) -> Iterator[Client]:
    """Yield a Client for ``creds.endpoint``; start and stop an embedded sandbox when needed."""
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
        sandbox = SandboxServer(SandboxConfig(db_path=str(db)))
    except (OSError, StoreError) as exc:  # e.g. `sandbox://` (a directory) or an unreadable file
        raise SmsyncError(f"sandbox endpoint {creds.endpoint!r}: {exc}") from None
    with sandbox as server:
        server.store.ensure_account(creds.username, creds.password, credit=EMBEDDED_CREDIT)
        with Client(server.url, creds.username, creds.password, **client_options) as client:
            yield client
