"""The sandbox's dialect switches, seen on the wire with hand-built requests (auth computed
here, never by smsync.gateway): each serves exactly the variant it names, and the defaults
stay the most tolerant server."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
import requests

from smsync.sandbox import ConfigError, SandboxConfig, SandboxServer
from tests.support.raw_http import md5
from tests.support.sandbox import PASSWORD, USERNAME

MakeSandbox = Callable[..., SandboxServer]
AUTH = {"username": USERNAME, "auth": md5(USERNAME, PASSWORD)}


def get(url: str, **params: str) -> requests.Response:
    return requests.get(url, params={**AUTH, **params}, timeout=5)


@pytest.mark.parametrize(
    ("paths", "camel", "underscore"),
    [("both", 200, 200), ("camel", 200, 404), ("underscore", 404, 200)],
)
def test_paths_serve_the_lookup_spellings_they_name(
    make_sandbox: MakeSandbox, paths: str, camel: int, underscore: int
) -> None:
    api = make_sandbox(paths=paths).url + "/web2sms/api"
    assert get(f"{api}/phbkGetList.aspx").status_code == camel
    assert get(f"{api}/PHBK_getList.aspx").status_code == underscore
    assert get(f"{api}/groupGetList.aspx").status_code == 200  # not a phonebook lookup


@pytest.mark.parametrize(
    ("where", "api_status", "root_status"),
    [("both", 200, 200), ("api", 200, 404), ("root", 404, 200)],
)
def test_credits_path_serves_the_balance_where_it_says(
    make_sandbox: MakeSandbox, where: str, api_status: int, root_status: int
) -> None:
    url = make_sandbox(credits_path=where).url
    assert get(f"{url}/web2sms/api/creditsleft.aspx").status_code == api_status
    assert get(f"{url}/web2sms/creditsleft.aspx").status_code == root_status


def test_number_param_reads_only_the_name_it_says(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(number_param="number")
    server.store.add_group(USERNAME, "Office")
    cid = server.store.add_contact(USERNAME, name="Budi", mobile="081234567890", group="Office")
    api = server.url + "/web2sms/api/phbkFindPhNumber.aspx"
    assert get(api, number="0812345").text.startswith(f"{cid}\x80")
    assert get(api, no="0899").text.startswith(f"{cid}\x80")  # `no` ignored: an empty search
    assert get(api, number="0899").text == "1704"


def test_error_suffix_follows_every_error_code(make_sandbox: MakeSandbox) -> None:
    url = make_sandbox(error_suffix="<br/>").url
    bad = requests.get(
        f"{url}/web2sms/api/creditsleft.aspx",
        params={"username": USERNAME, "auth": "0" * 32},
        timeout=5,
    )
    assert bad.text == "1702<br/>"
    assert get(f"{url}/web2sms/api/creditsleft.aspx").text == "1000"  # answers stay as they are


def test_md5_charset_cp1252_hashes_the_ansi_bytes(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(md5_charset="cp1252")
    server.store.ensure_account("ani", "pässwörd")
    url = server.url + "/web2sms/api/creditsleft.aspx"

    def auth(charset: str) -> str:
        return hashlib.md5("anipässwörd".encode(charset)).hexdigest()

    assert (
        requests.get(url, params={"username": "ani", "auth": auth("utf-8")}, timeout=5).text
        == "1702"
    )
    assert (
        requests.get(url, params={"username": "ani", "auth": auth("cp1252")}, timeout=5).text
        == "1000"
    )


def test_proxy_port_moves_the_password_forms_to_their_own_port(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(proxy_port=0)
    form = {"username": USERNAME, "password": PASSWORD, "mobile": "081234567890", "message": "hi"}
    assert requests.get(f"{server.url}/~proxy/send.php", params=form, timeout=5).status_code == 404
    assert requests.get(
        f"{server.proxy_url}/~proxy/send.php", params=form, timeout=5
    ).text.startswith("1701")
    # and the API is not served on the proxy's port
    assert get(f"{server.proxy_url}/web2sms/api/groupGetList.aspx").status_code == 404


def test_unknown_dialect_values_are_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="paths"):
        SandboxConfig(paths="kebab")
    with pytest.raises(ConfigError, match="error_suffix"):
        SandboxConfig(error_suffix="\x80")
