"""`smsync validate` through the real click command: every error class with its exact location."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.files import WriteFn


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Locations are printed relative to the working directory; a project is a directory
    # with smsync.yaml (here with no settings: every YAML below is a spec file).
    monkeypatch.chdir(tmp_path)
    (tmp_path / "smsync.yaml").write_text("# defaults\n")


def problems(*args: str) -> list[str]:
    r = run_cli("validate", *args)
    assert r.exit_code == 1, r.output
    return [line for line in r.output.splitlines() if not line.endswith("found")]


def test_valid_project_prints_summary(write: WriteFn) -> None:
    write(
        "groups/a.yaml",
        """\
        kind: Group
        name: Kantor
        contacts:
          - {name: Andi, mobile: "081234567890"}
          - {name: Budi, mobile: 6281398765432, birth: 1990-08-17, protect: true}
        ---
        kind: Group
        name: Lama
        state: absent
        """,
    )
    write(
        "b.yml",
        """\
        kind: Broadcast
        name: halo
        audience: {group: Kantor}
        template: "Halo semua"
        """,
    )
    r = run_cli("validate")
    assert r.exit_code == 0, r.output
    assert r.output.strip() == "ok: 2 groups (1 absent), 2 contacts, 1 broadcast in 2 files"


def test_unknown_key_points_at_the_key_with_a_hint(write: WriteFn) -> None:
    write(
        "g.yaml",
        """\
        kind: Group
        name: Kantor
        contacts:
          - name: Andi
            mobil: "081234567890"
        """,
    )
    out = problems()
    assert out[0] == "g.yaml:4:5: contacts[0].mobile: missing (required)"
    assert out[1].startswith(
        "g.yaml:5:5: contacts[0].mobil: unknown key 'mobil' (did you mean 'mobile'?); allowed: "
    )


def test_invalid_number_and_all_problems_in_one_run(write: WriteFn) -> None:
    write(
        "g.yaml",
        """\
        kind: Group
        name: Kantor
        contacts:
          - name: Andi
            mobile: "0812345"
          - name: Tetap
            mobile: "0211234567"
          - name: Budi
            mobile: "081234567890"
            birth: 1990-02-30
        """,
    )
    out = problems()
    assert out == [
        "g.yaml:5:13: contacts[0].mobile: '0812345' is not a valid phone number for region ID",
        "g.yaml:7:13: contacts[1].mobile: '0211234567' is not a mobile number (region ID)",
        "g.yaml:10:12: contacts[2].birth: '1990-02-30' is not a date (YYYY-MM-DD)",
    ]


def test_same_number_twice_in_a_group_in_any_spelling(write: WriteFn) -> None:
    write(
        "g.yaml",
        """\
        kind: Group
        name: Kantor
        contacts:
          - {name: A, mobile: "081234567890"}
          - {name: B, mobile: 6281234567890}
          - {name: C, mobile: "+62 812-3456-7890"}
          - {name: D, mobile: "62-812-3456-7890"}
        """,
    )
    out = problems()
    assert len(out) == 3
    assert out[0] == (
        "g.yaml:5:23: contacts[1].mobile: +6281234567890 appears twice in group "
        "'Kantor' (first at g.yaml:4:5)"
    )
    assert out[1].startswith("g.yaml:6:23: contacts[2].mobile:")
    assert out[2].startswith("g.yaml:7:23: contacts[3].mobile:")


def test_the_same_number_in_two_groups_is_fine(write: WriteFn) -> None:
    write(
        "g.yaml",
        """\
        kind: Group
        name: A
        contacts: [{name: A, mobile: "081234567890"}]
        ---
        kind: Group
        name: B
        contacts: [{name: A, mobile: "081234567890"}]
        """,
    )
    assert run_cli("validate").exit_code == 0


def test_name_too_long(write: WriteFn) -> None:
    write(
        "g.yaml",
        f"""\
        kind: Group
        name: {"G" * 51}
        contacts: [{{name: {"x" * 60}, mobile: "081234567890"}}]
        """,
    )
    assert problems() == [
        "g.yaml:2:7: name: too long (51 characters; at most 50)",
        "g.yaml:3:19: contacts[0].name: too long (60 characters; at most 50)",
    ]


def test_group_declared_twice_across_files_case_insensitively(write: WriteFn) -> None:
    write("a.yaml", "kind: Group\nname: Kantor\n")
    write("b.yaml", "# comment\nkind: Group\nname: KANTOR\n")
    assert problems() == [
        "a.yaml:2:7: name: group 'Kantor' is declared twice (again at b.yaml:3:7)",
        "b.yaml:3:7: name: group 'KANTOR' is declared twice (first at a.yaml:2:7)",
    ]


def test_broken_csv_rows_give_csv_file_and_line(write: WriteFn) -> None:
    write("g.yaml", "kind: Group\nname: Besar\ncontacts_file: data/besar.csv\n")
    write(
        "data/besar.csv",
        (
            "name,mobile,birth,protect\n"
            "Andi,081234567890,,\n"
            "Budi,12,,\n"
            "Citra,081398765432\n"
            "Dedi,085712345678,17-08-1990,maybe\n"
            "\n"
            "Eko,081234567890,,\n"
            '"Fajar\n'
        ),
    )
    assert problems() == [
        "data/besar.csv:3: mobile: '12' is not a valid phone number for region ID",
        "data/besar.csv:4: row: 2 fields, but the header has 4",
        "data/besar.csv:5: birth: '17-08-1990' is not a date (YYYY-MM-DD)",
        "data/besar.csv:5: protect: 'maybe' is not true or false",
        "data/besar.csv:7: mobile: +6281234567890 appears twice in group 'Besar' "
        "(first at data/besar.csv:2)",
        "data/besar.csv:8: row: broken CSV row: unexpected end of data",
    ]


def test_csv_header_problems(write: WriteFn) -> None:
    write("g.yaml", "kind: Group\nname: Besar\ncontacts_file: b.csv\n")
    write("b.csv", "nama,mobile\nAndi,081234567890\n")
    assert problems() == [
        "b.csv:1: header: unknown column 'nama'; allowed: name, mobile, address, birth, desc, "
        "protect",
        "b.csv:1: header: missing column 'name'",
    ]


def test_missing_csv_points_at_the_reference(write: WriteFn) -> None:
    write("g.yaml", "kind: Group\nname: Besar\ncontacts_file: nope.csv\n")
    assert problems() == ["g.yaml:3:16: contacts_file: nope.csv does not exist"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kind: Group\nname: [a\n", "g.yaml:3:1: invalid YAML:"),
        (
            "kind: Group\nname: A\ncontacts:\n\t- {name: a}\n",
            "g.yaml:4:1: invalid YAML: a tab character is not allowed here (indent with spaces)",
        ),
        ("kind: Group\nname: A\nname: B\n", "g.yaml:3:1: name: duplicate key (first at line 2)"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
            "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
            "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
            "document too large after expanding aliases (alias bomb?)",
        ),
        ("kind: Group\nname: &n [*n]\n", "nesting deeper than 64 levels"),
        (b"kind: Group\nname: \xff\n".decode("latin-1"), None),  # valid text once decoded
    ],
)
def test_bad_yaml_is_a_clear_error_never_a_traceback(
    write: WriteFn, text: str, expected: str | None
) -> None:
    write("g.yaml", text)
    r = run_cli("validate")
    assert "Traceback" not in r.output
    if expected is None:
        assert r.exit_code == 0, r.output
        return
    assert r.exit_code == 1
    assert expected in r.output.splitlines()[0]


def test_non_utf8_file(tmp_path: Path) -> None:
    (tmp_path / "g.yaml").write_bytes(b"kind: Group\nname: \xff\xfe\n")
    assert problems() == ["g.yaml: not UTF-8 text (byte 18)"]


def test_leading_zero_numbers_are_never_read_as_octal(write: WriteFn) -> None:
    # YAML 1.1 reads an unquoted 0211234567 as an octal integer; smsync keeps the text, so the
    # message names the number as written (a landline, hence not a mobile number).
    write("g.yaml", "kind: Group\nname: A\ncontacts: [{name: a, mobile: 0211234567}]\n")
    assert problems() == [
        "g.yaml:3:30: contacts[0].mobile: '0211234567' is not a mobile number (region ID)"
    ]


def test_broadcast_schema_and_semantics(write: WriteFn) -> None:
    write(
        "b.yaml",
        """\
        kind: Broadcast
        name: promo
        channel: sms
        fallback: sms
        not_before: 2025-01-01T10:00:00
        audience:
          contacts:
            numbers: ["081234567890", "12"]
            where: {umur: 3}
        template: "Halo {{ name"
        max_recipients: 0
        """,
    )
    assert problems() == [
        "b.yaml:4:11: fallback: a fallback only makes sense with 'channel: whatsapp'",
        "b.yaml:5:13: not_before: needs a UTC offset (e.g. +07:00), or it would depend on the "
        "machine",
        "b.yaml:8:31: audience.contacts.numbers[1]: '12' is not a valid phone number for region ID",
        "b.yaml:9:13: audience.contacts.where.umur: unknown field 'umur'; allowed: name, mobile, "
        "address, birth, desc",
        "b.yaml:10:11: template: template syntax error (template line 1): unexpected end of "
        "template, expected 'end of print statement'.",
        "b.yaml:11:17: max_recipients: must be at least 1",
    ]


def test_audience_needs_exactly_one_selector(write: WriteFn) -> None:
    write(
        "b.yaml",
        """\
        kind: Broadcast
        name: promo
        audience: {group: A, contacts: {groups: [A]}}
        template: hi
        """,
    )
    assert problems() == ["b.yaml:3:11: audience: needs exactly one of: group, contacts"]


def test_unknown_kind_and_missing_kind(write: WriteFn) -> None:
    write("x.yaml", "kind: Grup\nname: a\n---\nname: b\n---\n- just a list\n")
    assert problems() == [
        "x.yaml:1:7: kind: 'Grup' is not one of: Group, Broadcast",
        "x.yaml:4:1: kind: missing (required)",
        "x.yaml:6:1: must be a mapping, not a list",
    ]


def test_absent_group_with_contacts_and_protect(write: WriteFn) -> None:
    write(
        "g.yaml",
        """\
        kind: Group
        name: A
        state: absent
        protect: true
        contacts: []
        """,
    )
    assert problems() == [
        "g.yaml:4:1: protect: a protected group cannot be 'state: absent'",
        "g.yaml:5:1: contacts: a group with 'state: absent' cannot list contacts",
    ]


def test_project_file_errors(write: WriteFn) -> None:
    write(
        "smsync.yaml",
        """\
        gateway:
          endpoint: ftp://x
          password: hunter2
        safety:
          max_delete_share: 2
        """,
    )
    assert problems() == [
        "smsync.yaml:2:13: gateway.endpoint: must start with http://, https:// or sandbox://",
        "smsync.yaml:3:3: gateway.password: unknown key 'password'; allowed: endpoint, "
        "username, page_size, gsm7_as_type0, md5_charset, timeout, sender, accounts",
        "smsync.yaml:5:21: safety.max_delete_share: must be at most 1",
    ]


def test_spec_globs_and_default_discovery(write: WriteFn) -> None:
    write("smsync.yaml", "spec: [groups/*.yaml]\n")
    write("groups/a.yaml", "kind: Group\nname: A\n")
    write("other/b.yaml", "not: a spec\n")  # not matched by the glob
    assert run_cli("validate").output.strip() == ("ok: 1 group, 0 contacts, 0 broadcasts in 1 file")


def test_default_discovery_skips_dot_directories(write: WriteFn) -> None:
    write("groups/a.yaml", "kind: Group\nname: A\n")
    write(".github/workflows/ci.yml", "on: push\n")
    write(".smsync/x.yaml", "garbage: [\n")
    assert run_cli("validate").exit_code == 0


def test_validate_a_single_file(write: WriteFn) -> None:
    write("smsync.yaml", "defaults: {region: ID}\n")
    write("groups/a.yaml", "kind: Group\nname: A\n")
    write("groups/bad.yaml", "kind: Group\n")
    r = run_cli("validate", "groups/a.yaml")
    assert r.exit_code == 0
    assert r.output.strip() == "ok: 1 group, 0 contacts, 0 broadcasts in 1 file"


def test_suppression_file_is_checked(write: WriteFn) -> None:
    write("smsync.yaml", "suppression_file: stop.txt\n")
    write("stop.txt", "# unsubscribed\n081234567890\n\nnot-a-number  # typo\n")
    assert problems() == ["stop.txt:4:1: number: 'not-a-number' is not a phone number"]


def test_validate_missing_path() -> None:
    r = run_cli("validate", "nope")
    assert r.exit_code == 1
    assert "nope does not exist" in r.output
