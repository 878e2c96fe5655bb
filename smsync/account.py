"""The account itself: its balance (creditsleft.aspx) and its password (ChangePassword.aspx).

Changing the password is the one request whose failure can lock its user out, so it ends in
exactly one of three ways, each telling the caller what to do next:

- ``PasswordChanged``: the gateway answered 1701. A credentials file the old password came from
  now holds the new one (rewritten atomically, see smsync.spec.credentials_file); a variable or
  a password file must be updated by the user, and the result names it.
- ``PasswordNotChanged`` (an error): certainly not applied. The request never left (no
  connection was made), or the gateway refused it with a code. The old password is still valid.
- ``PasswordChangeUnknown`` (an error): the request may have reached the gateway (a timeout, a
  lost or unreadable answer, an interrupt). Either password may be the valid one now, so
  nothing local is touched; the caller says how to find out.

Everything a credentials file needs is checked before the request, while the old password is
certainly the valid one. The new password is never logged, printed or put in a message.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal

from smsync.endpoint import public_endpoint
from smsync.errors import SmsyncError
from smsync.gateway.client import Client
from smsync.gateway.errors import (
    GatewayError,
    InternalErrorContactAdmin,
    InternalServerError,
    InvalidCredentials,
    ProtocolError,
    TransportError,
    UnableToProcess,
)
from smsync.spec import credentials_file
from smsync.spec.project import Credentials, PasswordOrigin, PasswordSource

#: What a new password may hold: printable ASCII, no space. The gateway's auth is an MD5 over
#: the password's bytes, and the reference does not say which bytes a non-ASCII character is
#: (servers differ: see the client's md5_charset); nor does it say how the server decodes the
#: ``newpasw`` URL parameter. An ASCII password is the same bytes under every reading. Spaces
#: are left out because credentials files, variables and web forms trim them at the ends.
ALLOWED = frozenset(chr(c) for c in range(0x21, 0x7F))


def password_problem(new: str, old: str) -> str | None:
    """Why ``new`` cannot replace ``old`` (None: it can). Never quotes either password, nor
    says where in it a problem is."""
    if not new:
        return "the new password is empty"
    if not set(new) <= ALLOWED:
        return (
            "the new password may hold only ASCII letters, digits and punctuation (no spaces, "
            "no accented letters, no control characters): the gateway's MD5 auth is computed "
            "over the password's bytes, which it does not define for other characters"
        )
    if new == old:
        return "the new password is the same as the one in use"
    return None


@dataclass(frozen=True)
class Balance:
    """The account's credits as the gateway counts them (the body may carry decimals)."""

    username: str
    endpoint: str  # public form: no secrets
    credits: Decimal


@dataclass(frozen=True)
class PasswordChanged:
    """The gateway took the new password. ``file_updated``: ``source`` (a credentials file) now
    holds it; otherwise the user must put it wherever ``source`` says."""

    username: str
    endpoint: str
    source: PasswordSource
    file_updated: bool


class PasswordChangeError(SmsyncError):
    """Changing the password failed; ``source`` is where the password in use came from."""

    def __init__(self, message: str, *, username: str, source: PasswordSource) -> None:
        self.username = username
        self.source = source
        super().__init__(message)


class NotChangedBecause(enum.Enum):
    NEVER_SENT = "never sent"  # no connection was made: the old password is certainly valid
    WRONG_PASSWORD = "wrong password"  # 1702: the password in use is not the account's
    REFUSED = "refused"  # another code: the gateway refused, the password is as it was


class PasswordNotChanged(PasswordChangeError):
    """Certainly not applied: the account's password is what it was. ``because`` says why,
    and so what the user can rely on."""

    def __init__(
        self, message: str, *, username: str, source: PasswordSource, because: NotChangedBecause
    ) -> None:
        self.because = because
        super().__init__(message, username=username, source=source)


class PasswordChangeUnknown(PasswordChangeError):
    """Maybe applied: either password may be the valid one now."""


class CredentialsFileNotUpdated(PasswordChangeError):
    """The gateway took the new password, but the credentials file could not be rewritten."""


# Answers that say the server broke, not that it refused: they do not say the change was not made.
_SERVER_TROUBLE = (InternalServerError, InternalErrorContactAdmin, UnableToProcess)


def refuse_unchangeable(creds: Credentials) -> None:
    """Raise SmsyncError when the password of ``creds``' account cannot be changed at all."""
    if creds.source is not None and creds.source.origin is PasswordOrigin.SANDBOX:
        raise SmsyncError(
            "the embedded sandbox (a sandbox:// endpoint) has a fixed password: there is none "
            "to change (try it on `smsync sandbox serve`, an http:// gateway)"
        )


def balance(client: Client, creds: Credentials) -> Balance:
    """The balance of ``client``'s account (logged in with ``creds``)."""
    return Balance(creds.username, public_endpoint(creds.endpoint), client.credits())


def change_password(
    creds: Credentials, new: str, connect: Callable[[], AbstractContextManager[Client]]
) -> PasswordChanged:
    """Change the password of the account ``creds`` log in to, to ``new``, over a client from
    ``connect`` (called only once everything local has been checked); see the module
    docstring for the three outcomes."""
    refuse_unchangeable(creds)
    # Credentials made by hand say nothing of their source: nothing local is rewritten.
    source = creds.source or PasswordSource(PasswordOrigin.ENVIRONMENT)
    user = creds.username
    problem = password_problem(new, creds.password)
    if problem is not None:
        raise SmsyncError(problem)
    cred_file = source.path if source.origin is PasswordOrigin.CREDENTIALS_FILE else None
    if cred_file is not None:
        credentials_file.check_update(cred_file, user, creds.password, new)
    try:
        with connect() as client:
            client.change_password(new)
    except TransportError as exc:
        if exc.maybe_applied:
            raise PasswordChangeUnknown(str(exc), username=user, source=source) from None
        raise PasswordNotChanged(
            str(exc), username=user, source=source, because=NotChangedBecause.NEVER_SENT
        ) from None
    except _SERVER_TROUBLE as exc:
        # A server that failed inside may have failed after storing the new password.
        raise PasswordChangeUnknown(str(exc), username=user, source=source) from None
    except GatewayError as exc:
        because = (
            NotChangedBecause.WRONG_PASSWORD
            if isinstance(exc, InvalidCredentials)
            else NotChangedBecause.REFUSED
        )
        raise PasswordNotChanged(str(exc), username=user, source=source, because=because) from None
    except ProtocolError as exc:
        # The gateway answered something that is not a return code: it did process the request.
        raise PasswordChangeUnknown(str(exc), username=user, source=source) from None
    except KeyboardInterrupt:
        raise PasswordChangeUnknown(
            "ChangePassword: interrupted while waiting for the answer",
            username=user,
            source=source,
        ) from None
    if cred_file is not None:
        try:
            credentials_file.update_password(cred_file, user, creds.password, new)
        except SmsyncError as exc:
            raise CredentialsFileNotUpdated(str(exc), username=user, source=source) from None
    endpoint = public_endpoint(creds.endpoint)
    return PasswordChanged(user, endpoint, source, file_updated=cred_file is not None)


__all__ = [
    "ALLOWED",
    "Balance",
    "CredentialsFileNotUpdated",
    "NotChangedBecause",
    "PasswordChangeError",
    "PasswordChangeUnknown",
    "PasswordChanged",
    "PasswordNotChanged",
    "balance",
    "change_password",
    "password_problem",
    "refuse_unchangeable",
]
