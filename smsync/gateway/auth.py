"""The account login and the ``auth`` MD5 formula of every gateway method, in one table.

Each formula is the reference's, term by term: ``auth = MD5(term1 + term2 + ...)`` as lowercase
hex. The terms name request parameters (their values exactly as sent: the mobile as the caller
gave it, the id in decimal) plus ``password`` (the account password in use) and ``oldpassword``
(ChangePassword: the password before the change, i.e. also the one in use). The concatenation is
hashed as UTF-8 by default; the reference does not say (all its examples are ASCII), so the
charset is a client setting (``md5_charset``: ``utf-8`` or ``cp1252``, the ANSI code page of
an Indonesian Windows server).
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

#: Request parameters whose values are secrets (the password, a new password, the MD5 auth
#: computed from the password): never logged, never quoted, never in a transcript.
SECRET_PARAMS = frozenset({"password", "newpasw", "newpass", "newpassword", "auth"})


def secret_forms(secret: str) -> set[str]:
    """``secret`` as a server may write it back: as sent, as put on a URL, as HTML escapes it,
    as a quoted string shows it. Empty for an empty secret (it is in every text)."""
    if not secret:
        return set()
    url = {quote(secret, safe=""), quote_plus(secret)}
    return {secret, *url, html.escape(secret), repr(secret)[1:-1]}


AUTH_FORMULAS: dict[str, tuple[str, ...]] = {
    # I.3 / WhatsApp I.3, and the reference's PHP example
    "sendSMS": ("username", "password", "mobile"),
    "SendWA": ("username", "password", "mobile"),
    # I.4
    "SendSMSGroup": ("username", "password"),
    # II.1 - II.3: add by mobile, edit/delete by contact id
    "phbkAdd": ("mobile", "password"),
    "phbkEdit": ("id", "password"),
    "phbkDelete": ("id", "password"),
    # II.4 - II.7: lookups
    "phbkGetList": ("username", "password"),
    "phbkGetListbyGroup": ("username", "password"),
    "phbkGetCompleteData": ("username", "password"),
    "phbkFindName": ("username", "password"),
    "phbkFindPhNumber": ("username", "password"),
    # III.1 - III.5
    "groupAdd": ("group", "password"),
    "groupEdit": ("id", "password"),
    "groupDelete": ("id", "password"),
    "groupGetList": ("username", "password"),
    "groupFind": ("username", "password"),
    # IV.1
    "ChangePassword": ("username", "oldpassword"),
    # protocol notes: balance
    "creditsleft": ("username", "password"),
}


@dataclass(frozen=True)
class Login:
    """An account login. The password is kept out of ``repr`` (and so out of any log of it)."""

    username: str
    password: str = field(repr=False)


def md5_hex(text: str, charset: str = "utf-8") -> str:
    # cp1252 cannot encode every character: one it lacks becomes "?", as a .NET
    # Encoding.Default does on the server side.
    data = text.encode(charset, errors="replace")
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def compute_auth(
    method: str, creds: Login, params: Mapping[str, str], *, charset: str = "utf-8"
) -> str:
    """The ``auth`` value for ``method`` with request parameters ``params``.

    KeyError for a method without a formula or a formula term missing from ``params``: both
    are programming errors in this package, not user errors.
    """
    secrets = {"password": creds.password, "oldpassword": creds.password}
    values = {"username": creds.username, **params, **secrets}
    return md5_hex("".join(values[term] for term in AUTH_FORMULAS[method]), charset)
