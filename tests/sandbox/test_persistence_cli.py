"""File databases survive restarts; `smsync sandbox serve` and `show` as a user runs them."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import requests
from click.testing import CliRunner

from smsync.cli import cli
from smsync.sandbox import SandboxConfig, SandboxServer
from tests.support.raw_http import Gw, md5
from tests.support.sandbox import PASSWORD, USERNAME
from tests.support.serve import sandbox_serve

MOBILE = "08123456789"


def test_state_persists_across_restart(
    tmp_path: Path, make_gw: Callable[[SandboxServer], Gw]
) -> None:
    db = str(tmp_path / "sb.sqlite")
    with SandboxServer(SandboxConfig(db_path=db, dlr_delay_ms=400)) as srv:
        srv.store.upsert_account(USERNAME, PASSWORD, credit=10)
        gw = make_gw(srv)
        gid = gw.add_group("Office").split(",")[1]
        cid = gw.add_contact("Rudi", MOBILE, "Office", birth="19450817").split(",")[1]
        first = gw.send_sms(MOBILE, "hi", trxid="t1")
        msgid = first.split(",")[1]
        assert gw.get("Report", msgid=msgid) == "SENT"
    # a new server on the same file: same data, same trxid memory, pending DLRs finish
    with SandboxServer(SandboxConfig(db_path=db, dlr_delay_ms=0)) as srv:
        gw = make_gw(srv)
        assert gw.user_auth("groupGetList") == f"{gid}\u0080Office"
        assert gw.user_auth("phbkGetCompleteData", id=cid).split("\u0080")[1] == "Rudi"
        assert gw.send_sms(MOBILE, "hi", trxid="t1") == first
        assert gw.user_auth("creditsleft") == "9"
        assert gw.add_group("office") == "1711"
        deadline = time.monotonic() + 5
        while gw.get("Report", msgid=msgid) == "SENT":  # left SENT by the first run
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert gw.get("Report", msgid=msgid) == "DELIVRD"
        new_cid = gw.add_contact("Ani", MOBILE, "Office").split(",")[1]
        assert int(new_cid) > int(cid)


def test_bulk_add_100k_is_listable(sandbox: SandboxServer, gw: Gw) -> None:
    sandbox.store.bulk_add_contacts(
        USERNAME, ((f"n{i}", f"0812{i:08d}", f"G{i % 3}") for i in range(100_000))
    )
    last = gw.user_auth("phbkGetList", page=1000, size=100).split("\u0081")
    assert len(last) == 100 and last[-1].split("\u0080")[1] == "n99999"
    assert gw.user_auth("phbkGetList", page=1001, size=100) == "1704"


def _show(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["sandbox", "show", "--db", str(db), *args])
    return result.exit_code, result.output


def test_show_json_shape(tmp_path: Path, make_gw: Callable[[SandboxServer], Gw]) -> None:
    db = tmp_path / "sb.sqlite"
    with SandboxServer(SandboxConfig(db_path=str(db), dlr_delay_ms=60_000)) as srv:
        srv.store.upsert_account(USERNAME, PASSWORD, credit=100)
        gw = make_gw(srv)
        gw.add_group("Office")
        gw.add_contact("Rudi", MOBILE, "Office", birth="17 aug 1945", desc="d")
        gw.send_sms(MOBILE, "hi", trxid="t1")
        gw.get(
            "SendWA",
            username=USERNAME,
            mobile=MOBILE,
            message="wa",
            auth=md5(USERNAME, PASSWORD, MOBILE),
        )
        gw.get(
            "SendSMSGroup",
            group="Office",
            msg="all",
            username=USERNAME,
            auth=md5(USERNAME, PASSWORD),
        )
        # readable while the server runs (WAL)
        code, out = _show(db, "--json")
        assert code == 0 and len(json.loads(out)["messages"]) == 3
    code, out = _show(db, "--json")
    assert code == 0, out
    assert PASSWORD not in out
    snap = json.loads(out)
    assert set(snap) == {"schema", "accounts", "groups", "contacts", "messages"}
    assert snap["schema"] == 1
    assert snap["accounts"] == [{"username": USERNAME, "credit": 97, "dlr_url": None}]
    assert snap["groups"] == [{"id": 1, "account": USERNAME, "name": "Office"}]
    assert snap["contacts"] == [
        {
            "id": 1,
            "account": USERNAME,
            "name": "Rudi",
            "mobile": MOBILE,
            "group": "Office",
            "address": "",
            "birth": "1945-08-17",
            "desc": "d",
        }
    ]
    sms, wa, grp = snap["messages"]
    assert set(sms) == {
        "id",
        "msgid",
        "account",
        "trxid",
        "channel",
        "mobile",
        "type",
        "text",
        "segments",
        "status",
        "batch_id",
        "created",
    }
    assert (sms["channel"], sms["trxid"], sms["batch_id"], sms["status"]) == (
        "sms",
        "t1",
        None,
        "SENT",
    )
    assert (wa["channel"], wa["trxid"]) == ("whatsapp", None)
    assert grp["batch_id"] is not None and grp["text"] == "all"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", sms["created"])


def test_show_human_tables(tmp_path: Path) -> None:
    db = tmp_path / "sb.sqlite"
    with SandboxServer(SandboxConfig(db_path=str(db))) as srv:
        srv.store.upsert_account(USERNAME, PASSWORD, credit=5)
        srv.store.add_contact(USERNAME, name="Rudi", mobile=MOBILE, group="Office")
    code, out = _show(db)
    assert code == 0, out
    for word in ("Accounts (1)", "Groups (1)", "Contacts (1)", "Messages (0)", "Rudi", USERNAME):
        assert word in out
    assert PASSWORD not in out


def test_show_does_not_create_or_modify(tmp_path: Path) -> None:
    missing = tmp_path / "nope.sqlite"
    code, out = _show(missing)
    assert code == 1 and "no such sandbox database" in out and "Traceback" not in out
    assert not missing.exists()
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database")
    code, out = _show(junk)
    assert code == 1 and "not a sandbox database" in out


def test_serve_subprocess_prints_url_and_stops_on_sigint(tmp_path: Path) -> None:
    db = tmp_path / "served.sqlite"
    with sandbox_serve(
        "--db",
        str(db),
        "--account",
        f"{USERNAME}:{PASSWORD}:77",
        "--account",
        "ops:pw:with:colons",
    ) as served:
        url = served.url
        auth = md5(USERNAME, PASSWORD)
        resp = requests.get(
            f"{url}/web2sms/api/creditsleft.aspx?username={USERNAME}&auth={auth}", timeout=5
        )
        assert resp.text == "77"
        ops = requests.get(
            f"{url}/web2sms/api/creditsleft.aspx?username=ops&auth={md5('ops', 'pw:with:colons')}",
            timeout=5,
        )
        assert ops.text == "1000"  # no numeric last part: all of it is the password
    assert served.returncode == 0, served.err
    assert "Traceback" not in served.err
    assert PASSWORD not in served.first + served.out + served.err
    code, shown = _show(db, "--json")
    assert code == 0 and json.loads(shown)["accounts"][0]["credit"] == 77


def test_serve_rejects_bad_account_without_echoing_it() -> None:
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--account", "justapassword"])
    assert result.exit_code == 1  # a usage error: 1, never the `changes` code 2
    assert "USER:PASSWORD" in result.output and "justapassword" not in result.output


def test_help_texts_teach() -> None:
    for args in (
        ["sandbox", "--help"],
        ["sandbox", "serve", "--help"],
        ["sandbox", "show", "--help"],
    ):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0 and "Examples:" in result.output


def test_serve_errors_are_one_line(tmp_path: Path) -> None:
    bad_db = str(tmp_path / "missing-dir" / "x.sqlite")
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--port", "0", "--db", bad_db])
    assert result.exit_code == 1
    assert "cannot open sandbox database" in result.output and "Traceback" not in result.output
    with SandboxServer(SandboxConfig()) as busy:
        result = CliRunner().invoke(cli, ["sandbox", "serve", "--port", str(busy.port)])
    assert result.exit_code == 1 and "cannot serve on" in result.output
