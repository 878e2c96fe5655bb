"""Phonebook and group endpoints: CRUD, listings, paging, searches, every error path."""

from __future__ import annotations

from collections.abc import Callable

from smsync.sandbox import SandboxServer
from tests.support.raw_http import RS, Gw, md5, records
from tests.support.sandbox import PASSWORD, USERNAME

MOBILE = "08123456789"


def test_group_crud(gw: Gw) -> None:
    body = gw.add_group("Calon Client")
    assert body.startswith("1701,")
    gid = int(body.split(",")[1])
    assert gw.user_auth("groupGetList") == f"{gid}\u0080Calon Client"
    assert gw.by_id("groupEdit", gid, group="Teman") == "1701"
    assert records(gw.user_auth("groupFind", group="tem")) == [[str(gid), "Teman"]]
    assert gw.by_id("groupDelete", gid) == "1701"
    assert gw.user_auth("groupGetList") == "1704"


def test_group_errors(gw: Gw, sandbox: SandboxServer) -> None:
    a = int(gw.add_group("Office").split(",")[1])
    b = int(gw.add_group("Home").split(",")[1])
    assert gw.get("groupAdd", group="X", username=USERNAME, auth=md5(USERNAME, PASSWORD)) == "1702"
    assert gw.add_group("office") == "1711"  # names match case-insensitively
    assert gw.add_group("OFFICE") == "1711"
    assert gw.add_group("") == "1711"
    assert gw.by_id("groupEdit", a, group="home") == "1711"  # another group's name
    assert gw.by_id("groupEdit", a, group="") == "1711"
    assert gw.by_id("groupEdit", a, group="OFFICE") == "1701"  # renaming itself is fine
    assert gw.by_id("groupEdit", 99999, group="New") == "1712"
    assert gw.by_id("groupEdit", "abc", group="New") == "1712"
    assert (
        gw.get("groupEdit", id=str(a), group="Z", username=USERNAME, auth=md5(USERNAME, PASSWORD))
        == "1702"
    )  # auth is MD5(id+password)
    assert gw.by_id("groupDelete", 99999) == "1712"
    sandbox.store.add_contact(USERNAME, name="Rudi", mobile=MOBILE, group="Home")
    assert gw.by_id("groupDelete", b) == "1705"  # non-empty group: delete members first
    assert gw.get("groupDelete", id=str(b), username=USERNAME, auth=md5(str(b), "x")) == "1702"


def test_contact_crud_full_records(gw: Gw) -> None:
    gw.add_group("Office")
    gw.add_group("Bos")
    body = gw.add_contact(
        "Rudi", MOBILE, "office", address="Jl. Bali", birth="19450817", desc="Direktur Utama"
    )
    assert body.startswith("1701,")
    cid = body.split(",")[1]
    # the group prints with its own spelling
    expected = [cid, "Rudi", MOBILE, "Office", "Jl. Bali", "19450817", "Direktur Utama"]
    assert records(gw.user_auth("phbkGetList")) == [expected]
    assert records(gw.user_auth("phbkGetCompleteData", id=cid)) == [expected]
    assert (
        gw.by_id(
            "phbkEdit",
            cid,
            name="Yuli",
            mobile="06177123454",
            group="Bos",
            address="Jl. Pati 3",
            birth="17 aug 2010",
            desc="senang main golf",
        )
        == "1701"
    )
    assert records(gw.user_auth("phbkGetCompleteData", ID=cid)) == [
        [cid, "Yuli", "06177123454", "Bos", "Jl. Pati 3", "20100817", "senang main golf"]
    ]
    # only the parameters present change; ISO birth accepted; empty birth clears it
    assert gw.by_id("phbkEdit", cid, birth="2001-02-03") == "1701"
    assert records(gw.user_auth("phbkGetCompleteData", id=cid))[0][5] == "20010203"
    assert gw.by_id("phbkEdit", cid, birth="") == "1701"
    assert records(gw.user_auth("phbkGetCompleteData", id=cid))[0][1:] == [
        "Yuli",
        "06177123454",
        "Bos",
        "Jl. Pati 3",
        "",
        "senang main golf",
    ]
    assert gw.by_id("phbkDelete", cid) == "1701"
    assert gw.user_auth("phbkGetList") == "1704"
    assert gw.user_auth("phbkGetCompleteData", id=cid) == "1722"


def test_optional_fields_and_birth_forms_on_add(gw: Gw) -> None:
    gw.add_group("G")
    a = gw.add_contact("A", MOBILE, "G").split(",")[1]
    b = gw.add_contact("B", MOBILE, "G", birth="17 Aug 1945").split(",")[1]
    c = gw.add_contact("C", MOBILE, "G", birth="1945-08-17").split(",")[1]
    rows = {r[0]: r for r in records(gw.user_auth("phbkGetList"))}
    assert rows[a][4:] == ["", "", ""]
    assert rows[b][5] == rows[c][5] == "19450817"


def test_same_number_twice_in_one_group(gw: Gw) -> None:
    gw.add_group("G")
    first = gw.add_contact("Ani", MOBILE, "G")
    second = gw.add_contact("Ani", MOBILE, "G")
    assert first != second and first.startswith("1701,") and second.startswith("1701,")
    assert len(records(gw.user_auth("phbkGetList"))) == 2


def test_contact_errors(gw: Gw) -> None:
    gw.add_group("G")
    assert (
        gw.get(
            "phbkAdd",
            username=USERNAME,
            name="A",
            mobile=MOBILE,
            group="G",
            auth=md5(USERNAME, PASSWORD),
        )
        == "1702"
    )  # auth is MD5(mobile+password)
    assert gw.add_contact("", MOBILE, "G") == "1721"
    assert gw.add_contact("   ", MOBILE, "G") == "1721"
    assert gw.add_contact("A", "123", "G") == "1707"
    assert gw.add_contact("A", MOBILE, "Unknown") == "1711"
    assert gw.add_contact("A", MOBILE, "") == "1711"
    assert gw.add_contact("A", MOBILE, "G", birth="31 Feb 2000") == "1705"
    assert gw.add_contact("A", MOBILE, "G", birth="someday") == "1705"
    cid = gw.add_contact("A", MOBILE, "G").split(",")[1]
    assert gw.by_id("phbkEdit", cid, name="") == "1721"
    assert gw.by_id("phbkEdit", cid, mobile="12") == "1707"
    assert gw.by_id("phbkEdit", cid, group="Unknown") == "1711"
    assert gw.by_id("phbkEdit", cid, birth="2000-13-01") == "1705"
    assert gw.by_id("phbkEdit", 99999, name="X") == "1722"
    assert gw.by_id("phbkEdit", "x", name="X") == "1722"
    assert (
        gw.get("phbkEdit", id=cid, name="X", username=USERNAME, auth=md5(USERNAME, PASSWORD))
        == "1702"
    )
    assert gw.by_id("phbkDelete", 99999) == "1722"
    assert gw.get("phbkDelete", id=cid, username=USERNAME, auth=md5(cid, "bad")) == "1702"
    assert gw.user_auth("phbkGetCompleteData", id="99999") == "1722"
    assert gw.user_auth("phbkGetList", password="bad") == "1702"
    # nothing changed by the failures
    assert records(gw.user_auth("phbkGetList")) == [[cid, "A", MOBILE, "G", "", "", ""]]


def test_accounts_are_isolated(gw: Gw, sandbox: SandboxServer) -> None:
    sandbox.store.upsert_account("other", "other-pass")
    sandbox.store.add_contact("other", name="Theirs", mobile=MOBILE, group="Their group")
    assert gw.user_auth("phbkGetList") == "1704"
    assert gw.user_auth("groupGetList") == "1704"
    cid = sandbox.store.snapshot()["contacts"][0]["id"]
    assert gw.by_id("phbkDelete", cid) == "1722"
    assert gw.add_group("Their group").startswith("1701,")  # names are per account


def test_paging_defaults_order_and_clamping(
    make_sandbox: Callable[..., SandboxServer], make_gw: Callable[[SandboxServer], Gw]
) -> None:
    srv = make_sandbox(max_page_size=25)
    gw = make_gw(srv)
    srv.store.bulk_add_contacts(
        USERNAME, ((f"n{i:03d}", f"0812{i:08d}", "A" if i % 2 else "B") for i in range(60))
    )
    ids = [c["id"] for c in srv.store.snapshot()["contacts"]]
    first = records(gw.user_auth("phbkGetList"))
    assert [int(r[0]) for r in first] == ids[:10]  # default page 1, size 10, ORDER BY id
    page3 = records(gw.user_auth("phbkGetList", page=3, size=7))
    assert [int(r[0]) for r in page3] == ids[14:21]
    clamped = records(gw.user_auth("phbkGetList", page=1, size=1000))
    assert len(clamped) == 25
    page3_clamped = records(gw.user_auth("phbkGetList", page=3, size=1000))
    assert [int(r[0]) for r in page3_clamped] == ids[50:60]
    assert gw.user_auth("phbkGetList", page=4, size=1000) == "1704"
    for bad in ({"page": "x"}, {"size": "0"}, {"page": "0"}, {"size": "-3"}):
        assert gw.user_auth("phbkGetList", **bad) == "1705", bad
    # every contact exactly once when walking all pages
    seen = []
    page = 1
    while (body := gw.user_auth("phbkGetList", page=page, size=25)) != "1704":
        seen += [int(r[0]) for r in records(body)]
        page += 1
    assert seen == ids
    by_group = records(gw.user_auth("phbkGetListbyGroup", group="a", page=2, size=20))
    assert [r[3] for r in by_group] == ["A"] * 10
    assert [int(r[0]) for r in by_group] == [i for i in ids if i % 2 == 0][20:30]  # odd n -> A
    assert gw.user_auth("phbkGetListbyGroup", group="Nope") == "1704"


def test_group_paging(gw: Gw, sandbox: SandboxServer) -> None:
    for i in range(12):
        sandbox.store.add_group(USERNAME, f"G{i:02d}")
    first = records(gw.user_auth("groupGetList"))
    assert [r[1] for r in first] == [f"G{i:02d}" for i in range(10)]
    assert all(len(r) == 2 for r in first)
    assert [r[1] for r in records(gw.user_auth("groupGetList", page=3, size=5))] == ["G10", "G11"]


def test_searches_partial_case_insensitive_capped_at_10(gw: Gw, sandbox: SandboxServer) -> None:
    sandbox.store.bulk_add_contacts(
        USERNAME,
        [(f"Sari {i}", f"0812653{i:04d}", "Office") for i in range(15)]
        + [("Budi", "6281999999999", "Office")],
    )
    for i in range(12):
        sandbox.store.add_group(USERNAME, f"Pulau {i}")
    assert len(records(gw.user_auth("phbkFindName", name="sar"))) == 10
    assert len(records(gw.user_auth("phbkFindName", name="SARI 1"))) == 6  # 1, 10..14
    assert records(gw.user_auth("phbkFindName", name="udi"))[0][1] == "Budi"
    assert gw.user_auth("phbkFindName", name="zzz") == "1704"
    assert len(records(gw.user_auth("phbkFindPhNumber", no="0812653"))) == 10
    assert records(gw.user_auth("phbkFindPhNumber", number="81999"))[0][1] == "Budi"
    assert gw.user_auth("phbkFindPhNumber", no="0000000") == "1704"
    assert len(records(gw.user_auth("groupFind", group="pul"))) == 10
    assert records(gw.user_auth("groupFind", name="OFF")) == [["1", "Office"]]
    assert gw.user_auth("groupFind", group="xyz") == "1704"
    assert gw.user_auth("phbkFindName", name="sar", password="bad") == "1702"


def test_search_results_are_records_in_list_form(gw: Gw, sandbox: SandboxServer) -> None:
    sandbox.store.add_contact(
        USERNAME, name="Ani", mobile=MOBILE, group="G", address="Jl", birth="20000101", desc="d"
    )
    [rec] = records(gw.user_auth("phbkFindName", name="ani"))
    assert rec[1:] == ["Ani", MOBILE, "G", "Jl", "20000101", "d"]
    assert RS not in gw.user_auth("phbkFindName", name="ani")
