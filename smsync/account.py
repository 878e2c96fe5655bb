"""The account itself: its balance (creditsleft.aspx) and its password (ChangePassword.aspx).

Changing the password is the one request whose failure can lock its user out, so it ends in
exactly one of three ways, each telling the caller what to do next:

- ``PasswordChanged``: the gateway answered 1701 (exactly: see ``confirms_change``). A
  credentials file the old password came from now holds the new one (rewritten atomically, see
  smsync.spec.credentials_file); a variable or a password file must be updated by the user, and
  the result names it, and any credentials file that still holds the old password too.
- ``PasswordNotChanged`` (an error): certainly not applied. The request never left (no
  connection was made), or the gateway refused it with a code. The old password is still valid.
- ``PasswordChangeUnknown`` (an error): the request may have reached the gateway (a timeout, a
  lost, unreadable or not exactly successful answer, a redirect, an interrupt). Either password
  may be the valid one now, so nothing local is touched; the caller says how to find out.

Everything a credentials file needs is checked before the request, while the old password is
certainly the valid one. The new password is never logged, printed or put in a message, and
neither password reaches one through the gateway's answer: an answer may echo the request (error
pages quote URLs), so a detail that holds 4 characters of a password in a row is not quoted.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from smsync.endpoint import public_endpoint
from smsync.errors import SmsyncError
from smsync.gateway.auth import secret_forms
from smsync.gateway.client import Client, Exchange
from smsync.gateway.errors import (
    GatewayError,
    HttpRefused,
    InternalErrorContactAdmin,
    InternalServerError,
    InvalidCredentials,
    ProtocolError,
    TransportError,
    UnableToProcess,
)
from smsync.spec import credentials_file
from smsync.spec.project import (
    PASSWORD_ENV,
    Credentials,
    CredentialsError,
    PasswordOrigin,
    PasswordSource,
    default_credentials_file,
    named_credentials_file,
    read_credentials_file,
)

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
    if "<" in new or "&#" in new:
        # ASP.NET's request validation (on by default) answers HTTP 500 to a query value with
        # "<" before a letter or "&#": a change that certainly failed would read as a doubt,
        # and asking again would fail the same way.
        return (
            "the new password may hold no '<' and no '&#': the gateway's server (ASP.NET) "
            "refuses such a request as potentially dangerous, so the change could not be confirmed"
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
    #: Other places that hold the old password for this user ($SMSYNC_PASSWORD, a credentials
    #: file), read once the source is gone: the user must update them too.
    also_old: tuple[PasswordSource, ...] = ()


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


class Connect(Protocol):
    """Opens the client the change goes through, with the caller's ``on_exchange`` hook and
    ``retries`` (see ``change_password``)."""

    def __call__(
        self, *, on_exchange: Callable[[Exchange], None], retries: int
    ) -> AbstractContextManager[Client]: ...


#: The documented success answer, as the whole answer: 1701, then nothing, or blanks, or the
#: page markup an ASP.NET page writes after its text ("1701<html>…"). The wire layer reads any
#: body that starts with 1701 as success ("1701garbage", "17010"); for this one request a false
#: success is the costly mistake: the old password, the one that still works, would be
#: overwritten in the credentials file. A doubt costs one `account balance` instead.
_CONFIRMED = re.compile(r"1701(?:[\s<].*)?", re.DOTALL)


def confirms_change(status: int, body: str) -> bool:
    """True when the answer ``status``/``body`` says, beyond doubt, that the password changed."""
    return status == 200 and _CONFIRMED.fullmatch(body.strip()) is not None


def quotes_secret(text: str, secrets: tuple[str, ...]) -> bool:
    """True when ``text`` holds 4 characters in a row of a secret (the whole of a shorter one),
    as written, as put on a URL, or as a server writes it back into HTML or a quoted string: a
    cut excerpt of an echoed password is a leak too."""
    for secret in secrets:
        for form in secret_forms(secret):
            n = min(4, len(form))
            if any(form[i : i + n] in text for i in range(len(form) - n + 1)):
                return True
    return False


def _message(exc: Exception, secrets: tuple[str, ...]) -> str:
    """``exc``'s message, without the gateway's text when that quotes a part of a secret."""
    if isinstance(exc, GatewayError) and quotes_secret(exc.detail, secrets):
        code = f"HTTP {exc.status}" if isinstance(exc, HttpRefused) else exc.code
        return f"{exc.endpoint}: {code} {exc.meaning} (its text is not shown: it quotes a password)"
    if isinstance(exc, ProtocolError) and quotes_secret(exc.body, secrets):
        return (
            f"{exc.endpoint}: an answer that is not a return code ({len(exc.body)} characters, "
            "not shown: it quotes a password)"
        )
    return str(exc)


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
    creds: Credentials,
    new: str,
    connect: Connect,
    *,
    named_file: Path | None = None,
) -> PasswordChanged:
    """Change the password of the account ``creds`` log in to, to ``new``, over a client from
    ``connect`` (called only once everything local has been checked); see the module
    docstring for the three outcomes. ``named_file``: the credentials file named on the command
    line (--credentials-file), as given to ``resolve_credentials``."""
    refuse_unchangeable(creds)
    # Credentials made by hand say nothing of their source: nothing local is rewritten.
    source = creds.source or PasswordSource(PasswordOrigin.ENVIRONMENT)
    user = creds.username
    secrets = (creds.password, new)
    problem = password_problem(new, creds.password)
    if problem is not None:
        raise SmsyncError(problem)
    cred_file = source.path if source.origin is PasswordOrigin.CREDENTIALS_FILE else None
    if cred_file is not None:
        credentials_file.check_update(cred_file, user, creds.password, new)
    answers: list[Exchange] = []
    try:
        # Asked once, never again: the client repeats a write it believes was never sent, and
        # it takes every TLS error for a failed handshake, also one after the request was
        # delivered. A change repeated after the first one was applied fails with 1702 (the old
        # password no longer authorises it), and would read as "not changed". Running the
        # command again is the user's call, after the check it prints.
        with connect(on_exchange=answers.append, retries=0) as client:
            client.change_password(new)
    except TransportError as exc:
        # A redirect is "not applied" to the client (it does not follow it), but a server may
        # store the new password and then redirect: only "no answer at all" is certain.
        if exc.maybe_applied or answers:
            raise PasswordChangeUnknown(
                _message(exc, secrets), username=user, source=source
            ) from None
        raise PasswordNotChanged(
            _message(exc, secrets),
            username=user,
            source=source,
            because=NotChangedBecause.NEVER_SENT,
        ) from None
    except _SERVER_TROUBLE as exc:
        # A server that failed inside may have failed after storing the new password.
        raise PasswordChangeUnknown(_message(exc, secrets), username=user, source=source) from None
    except GatewayError as exc:
        because = (
            NotChangedBecause.WRONG_PASSWORD
            if isinstance(exc, InvalidCredentials)
            else NotChangedBecause.REFUSED
        )
        raise PasswordNotChanged(
            _message(exc, secrets), username=user, source=source, because=because
        ) from None
    except ProtocolError as exc:
        # The gateway answered something that is not a return code: it did process the request.
        raise PasswordChangeUnknown(_message(exc, secrets), username=user, source=source) from None
    except KeyboardInterrupt:
        raise PasswordChangeUnknown(
            "ChangePassword: interrupted while waiting for the answer",
            username=user,
            source=source,
        ) from None
    last = answers[-1] if answers else None
    if last is None or not confirms_change(last.status, last.body):
        unconfirmed = ProtocolError(
            "ChangePassword",
            "the answer is not the documented success code 1701 alone",
            last.body if last is not None else "",
        )
        raise PasswordChangeUnknown(
            _message(unconfirmed, secrets), username=user, source=source
        ) from None
    if cred_file is not None:
        try:
            credentials_file.update_password(cred_file, user, creds.password, new)
        except SmsyncError as exc:
            raise CredentialsFileNotUpdated(str(exc), username=user, source=source) from None
    endpoint = public_endpoint(creds.endpoint)
    return PasswordChanged(
        user,
        endpoint,
        source,
        file_updated=cred_file is not None,
        also_old=_also_holding(creds, named_file),
    )


def _also_holding(creds: Credentials, named: Path | None) -> tuple[PasswordSource, ...]:
    """Where else smsync finds the (now old) password in use once its own source is gone:
    $SMSYNC_PASSWORD after a --password-file, the credentials file after either; each only
    when it holds that very password for the user."""
    origin = creds.source.origin if creds.source is not None else PasswordOrigin.ENVIRONMENT
    if origin is PasswordOrigin.CREDENTIALS_FILE:
        return ()  # the last place looked in, and rewritten
    found: list[PasswordSource] = []
    if origin is PasswordOrigin.PASSWORD_FILE and os.environ.get(PASSWORD_ENV) == creds.password:
        found.append(PasswordSource(PasswordOrigin.ENVIRONMENT))
    path = named_credentials_file(named, os.environ) or default_credentials_file()
    try:
        table = read_credentials_file(path) if path.is_file() else {}
    except CredentialsError:
        table = {}  # unreadable or not private: every command says so when it reads it
    if table.get(creds.username) == creds.password:
        found.append(PasswordSource(PasswordOrigin.CREDENTIALS_FILE, path))
    return tuple(found)


__all__ = [
    "ALLOWED",
    "Balance",
    "Connect",
    "CredentialsFileNotUpdated",
    "NotChangedBecause",
    "PasswordChangeError",
    "PasswordChangeUnknown",
    "PasswordChanged",
    "PasswordNotChanged",
    "balance",
    "change_password",
    "confirms_change",
    "password_problem",
    "quotes_secret",
    "refuse_unchangeable",
]
