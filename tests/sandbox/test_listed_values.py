"""How stored values appear in list answers: only the separators of the configured mode are
neutralised (a '€' is text in the unicode mode), and `raw_fields` prints values as they are
stored, separators and all, as a real gateway may."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from smsync.sandbox import SandboxServer
from tests.support.raw_http import FS, RS, Gw, md5
from tests.support.sandbox import PASSWORD, USERNAME

MakeSandbox = Callable[..., SandboxServer]
MakeGw = Callable[[SandboxServer], Gw]
MOBILE = "08123456789"
EURO = "\u20ac"


def listing(srv: SandboxServer) -> bytes:
    auth = md5(USERNAME, PASSWORD)
    resp = requests.get(
        f"{srv.url}/web2sms/api/phbkGetList.aspx?username={USERNAME}&auth={auth}", timeout=5
    )
    assert resp.status_code == 200
    return resp.content


def test_euro_sign_is_listed_as_is_in_the_unicode_mode(
    make_sandbox: MakeSandbox, make_gw: MakeGw
) -> None:
    srv = make_sandbox(separator="unicode")
    gw = make_gw(srv)
    cid = srv.store.add_contact(
        USERNAME, name="Toko €uro", mobile=MOBILE, group="Harga €", desc="5€ off"
    )
    record = [str(cid), "Toko €uro", MOBILE, "Harga €", "", "", "5€ off"]
    assert gw.user_auth("phbkGetList") == FS.join(record)
    assert gw.user_auth("phbkFindName", name="€uro") == FS.join(record)
    assert gw.user_auth("groupGetList").split(FS)[1] == "Harga €"


@pytest.mark.parametrize(
    ("separator", "charset", "value", "shown"),
    [
        # the active separators of each mode become spaces; the others are text
        ("unicode", "utf-8", f"a{FS}b{RS}c{EURO}d", f"a b c{EURO}d"),
        ("cp1252", "utf-8", f"a{FS}b{RS}c{EURO}d", f"a{FS}b c d"),
        # bytes: U+0080/U+0081 would be raw 0x80/0x81; a latin-1 body has no '€' at all
        ("bytes", "latin-1", f"a{FS}b{RS}c{EURO}d", "a b c?d"),
    ],
)
def test_only_the_active_separators_are_neutralised(
    make_sandbox: MakeSandbox, separator: str, charset: str, value: str, shown: str
) -> None:
    srv = make_sandbox(separator=separator)
    srv.store.add_contact(USERNAME, name=value, mobile=MOBILE, group="G")
    field_sep = EURO if separator == "cp1252" else FS
    fields = listing(srv).decode(charset).split(field_sep)
    assert fields[1] == shown
    assert len(fields) == 7


def test_raw_fields_prints_stored_separators_as_they_are(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox(raw_fields=True)
    forged = f"Eve{RS}999{FS}Victim{FS}081299999999{FS}Managed{FS}{FS}{FS}"
    cid = srv.store.add_contact(USERNAME, name=forged, mobile=MOBILE, group="Outside")
    body = listing(srv).decode("utf-8")
    assert body == FS.join([str(cid), forged, MOBILE, "Outside", "", "", ""])
    # Read as records, the one stored contact is now two rows, one of them with id 999.
    assert [r.split(FS)[0] for r in body.split(RS)] == [str(cid), "999"]


def test_raw_fields_is_off_by_default(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox()
    srv.store.add_contact(USERNAME, name=f"Eve{RS}999{FS}Victim", mobile=MOBILE, group="G")
    assert RS.encode() not in listing(srv)
