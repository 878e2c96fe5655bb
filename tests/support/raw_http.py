"""Raw HTTP to the sandbox: hand-built query strings, auth computed here with hashlib (never via
smsync.gateway), so the sandbox tests check the protocol itself, not smsync's reading of it."""

from __future__ import annotations

import hashlib
import urllib.parse

import requests

from smsync.sandbox import SandboxServer
from tests.support.sandbox import PASSWORD, USERNAME

#: The field and record separators of the gateway's record format.
FS, RS = "\u0080", "\u0081"


def md5(*parts: str) -> str:
    return hashlib.md5("".join(parts).encode("utf-8")).hexdigest()


class Gw:
    """Speaks to one sandbox with raw requests; ``session`` keeps connections alive."""

    def __init__(self, srv: SandboxServer) -> None:
        self.srv = srv
        self.session = requests.Session()

    def url(self, endpoint: str, **params: str | int) -> str:
        query = urllib.parse.urlencode({k: str(v) for k, v in params.items()})
        return f"{self.srv.url}/web2sms/api/{endpoint}.aspx?{query}"

    def get(self, endpoint: str, **params: str | int) -> str:
        resp = self.session.get(self.url(endpoint, **params), timeout=10)
        assert resp.status_code == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        return resp.text

    # Shortcuts that compute each endpoint's auth formula.
    def user_auth(self, endpoint: str, password: str = PASSWORD, **params: str | int) -> str:
        return self.get(endpoint, username=USERNAME, auth=md5(USERNAME, password), **params)

    def send_sms(self, mobile: str, message: str, **params: str | int) -> str:
        return self.get(
            "sendSMS",
            username=USERNAME,
            mobile=mobile,
            message=message,
            auth=md5(USERNAME, PASSWORD, mobile),
            **params,
        )

    def add_group(self, name: str) -> str:
        return self.get("groupAdd", group=name, username=USERNAME, auth=md5(name, PASSWORD))

    def add_contact(self, name: str, mobile: str, group: str, **params: str) -> str:
        return self.get(
            "phbkAdd",
            username=USERNAME,
            name=name,
            mobile=mobile,
            group=group,
            auth=md5(mobile, PASSWORD),
            **params,
        )

    def by_id(self, endpoint: str, id: int | str, **params: str | int) -> str:
        return self.get(
            endpoint, id=str(id), username=USERNAME, auth=md5(str(id), PASSWORD), **params
        )

    def close(self) -> None:
        self.session.close()


def records(body: str) -> list[list[str]]:
    """A listing body split into records of fields."""
    return [r.split(FS) for r in body.split(RS)]
