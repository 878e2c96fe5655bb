"""`smsync sandbox serve` exposes the raw-fields, trxid-failure and 403 switches, as a user
runs it (a subprocess, spoken to over HTTP)."""

from __future__ import annotations

from pathlib import Path

import requests
from click.testing import CliRunner

from smsync.cli import cli
from smsync.sandbox import Store
from tests.support.raw_http import FS, RS, md5
from tests.support.sandbox import PASSWORD, USERNAME
from tests.support.serve import sandbox_serve

MOBILE = "08123456789"


def test_serve_switches_reach_the_wire(tmp_path: Path) -> None:
    db = tmp_path / "served.sqlite"
    with sandbox_serve(
        "--db",
        str(db),
        "--account",
        f"{USERNAME}:{PASSWORD}:0",
        "--raw-fields",
        "--trxid-remembers-failures",
        "--fault-rate",
        "1",
        "--fault-kind",
        "403",
        "--fault-path",
        "SendSMSGroup",
    ) as served:
        api = f"{served.url}/web2sms/api"
        store = Store(str(db))  # a second writer on the same file, as a test fixture would be
        try:
            cid = store.add_contact(USERNAME, name=f"a{RS}b", mobile=MOBILE, group="Office")
            listed = requests.get(
                f"{api}/phbkGetList.aspx",
                timeout=5,
                params={"username": USERNAME, "auth": md5(USERNAME, PASSWORD)},
            )
            assert listed.text == FS.join([str(cid), f"a{RS}b", MOBILE, "Office", "", "", ""])
            send = {
                "username": USERNAME,
                "mobile": MOBILE,
                "message": "hi",
                "trxid": "t1",
                "auth": md5(USERNAME, PASSWORD, MOBILE),
            }
            assert requests.get(f"{api}/sendSMS.aspx", params=send, timeout=5).text == "1708"
            store.set_credit(USERNAME, 10)
            assert requests.get(f"{api}/sendSMS.aspx", params=send, timeout=5).text == "1708"
        finally:
            store.close()
        group = requests.get(
            f"{api}/SendSMSGroup.aspx",
            timeout=5,
            params={
                "username": USERNAME,
                "group": "Office",
                "msg": "hi",
                "auth": md5(USERNAME, PASSWORD),
            },
        )
        assert (group.status_code, group.text) == (403, "Forbidden")
    assert served.returncode == 0, served.err


def test_serve_names_an_unknown_fault_path_in_one_line() -> None:
    result = CliRunner().invoke(
        cli, ["sandbox", "serve", "--port", "0", "--fault-path", "sendsms.aspx"]
    )
    assert result.exit_code == 1
    assert "fault_paths: 'sendsms.aspx' is not an endpoint" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
