"""Each endpoint's MD5 auth formula, checked against an independently computed hashlib value."""

from __future__ import annotations

import hashlib

import pytest

from smsync.gateway.auth import AUTH_FORMULAS, Login, compute_auth

USER, PASSWORD = "sms", "s3cret-pw"
PARAMS = {"mobile": "08126531971", "id": "372880", "group": "Calon Client"}


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


# Written out from the reference by hand (not derived from AUTH_FORMULAS).
EXPECTED = {
    "sendSMS": md5(USER + PASSWORD + "08126531971"),
    "SendWA": md5(USER + PASSWORD + "08126531971"),
    "SendSMSGroup": md5(USER + PASSWORD),
    "phbkAdd": md5("08126531971" + PASSWORD),
    "phbkEdit": md5("372880" + PASSWORD),
    "phbkDelete": md5("372880" + PASSWORD),
    "phbkGetList": md5(USER + PASSWORD),
    "phbkGetListbyGroup": md5(USER + PASSWORD),
    "phbkGetCompleteData": md5(USER + PASSWORD),
    "phbkFindName": md5(USER + PASSWORD),
    "phbkFindPhNumber": md5(USER + PASSWORD),
    "groupAdd": md5("Calon Client" + PASSWORD),
    "groupEdit": md5("372880" + PASSWORD),
    "groupDelete": md5("372880" + PASSWORD),
    "groupGetList": md5(USER + PASSWORD),
    "groupFind": md5(USER + PASSWORD),
    "ChangePassword": md5(USER + PASSWORD),  # username + OLD password (the one in use)
    "creditsleft": md5(USER + PASSWORD),
}


def test_every_method_has_a_formula_and_an_expectation() -> None:
    assert set(AUTH_FORMULAS) == set(EXPECTED)


@pytest.mark.parametrize("method", sorted(EXPECTED))
def test_formula(method: str) -> None:
    assert compute_auth(method, Login(USER, PASSWORD), PARAMS) == EXPECTED[method]


def test_lowercase_hex_of_utf8() -> None:
    value = compute_auth("groupAdd", Login(USER, "pässwörd"), {"group": "Küche"})
    assert value == hashlib.md5("Küchepässwörd".encode()).hexdigest()
    assert value == value.lower()


def test_credentials_repr_hides_the_password() -> None:
    creds = Login(USER, PASSWORD)
    assert PASSWORD not in repr(creds)
    assert PASSWORD not in str(creds)
    assert USER in repr(creds)
