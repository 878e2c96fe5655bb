"""Values the gateway would store differently from how they are written (trimmed names, '€',
U+0080/U+0081 and other control characters) can never converge: every apply would change them
again. `smsync validate` and `smsync plan` refuse them at file:line:col, naming field and reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.files import WriteFn

CONFIG = "gateway: {endpoint: 'sandbox://.smsync/s.sqlite', username: demo}\n"
SPACES = "leading or trailing spaces: the gateway stores names trimmed"
EURO = "contains '€', which some gateways use as a field separator"
CONTROL = "contains a control character"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # locations are printed relative to the working directory


def problems(command: str) -> list[str]:
    r = run_cli(command, ".", env={"SMSYNC_PASSWORD": "", "CI": "1"})
    assert r.exit_code == 1, r.output
    # plan prints the same lines as validate, the first one after click's "Error: ".
    return [
        line.removeprefix("Error: ") for line in r.output.splitlines() if not line.endswith("found")
    ]


def assert_reported(lines: list[str], expected: list[tuple[str, str, str]]) -> None:
    for where, fld, why in expected:
        hits = [ln for ln in lines if ln.startswith(f"{where}: {fld}: ") and why in ln]
        assert hits, f"no '{where}: {fld}: …{why}…' in:\n" + "\n".join(lines)
    assert len(lines) == len(expected), "\n".join(lines)


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_yaml_values_the_gateway_would_store_differently_are_refused(
    write: WriteFn, command: str
) -> None:
    write("smsync.yaml", CONFIG)
    write(
        "g.yaml",
        """\
        kind: Group
        name: " Kantor"
        contacts:
          - {name: "Budi ", mobile: "081234567890"}
          - {name: "Harga 5€", mobile: "081234567891"}
          - {name: "Siti\\x80Rahayu", mobile: "081234567892", address: "Jl.\\x81 Merdeka"}
          - {name: Andi, mobile: "081234567893", desc: "10 € per bulan", address: "a\\tb"}
          - {name: "\\u00a0Dewi", mobile: "081234567894"}
        """,
    )
    assert_reported(
        problems(command),
        [
            ("g.yaml:2:7", "name", SPACES),
            ("g.yaml:4:12", "contacts[0].name", SPACES),
            ("g.yaml:5:12", "contacts[1].name", EURO),
            ("g.yaml:6:12", "contacts[2].name", CONTROL),
            ("g.yaml:6:63", "contacts[2].address", CONTROL),
            ("g.yaml:7:48", "contacts[3].desc", EURO),
            ("g.yaml:7:75", "contacts[3].address", CONTROL),
            ("g.yaml:8:12", "contacts[4].name", SPACES),
        ],
    )


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_csv_values_the_gateway_would_store_differently_are_refused(
    write: WriteFn, command: str
) -> None:
    write("smsync.yaml", CONFIG)
    write("g.yaml", "kind: Group\nname: Besar\ncontacts_file: b.csv\n")
    Path("b.csv").write_text(
        "name,mobile,address,desc\n"
        "Budi ,081234567890,,\n"
        "  Citra,081234567891,,\n"
        "Harga 5€,081234567892,,\n"
        "Siti\x80Rahayu,081234567893,Jl.\x81 Merdeka,\n"
        "Andi,081234567894,,10 € per bulan\n"
        'Eko,081234567895,,"a\tb"\n',
        encoding="utf-8",
    )
    assert_reported(
        problems(command),
        [
            ("b.csv:2", "name", SPACES),
            ("b.csv:3", "name", SPACES),
            ("b.csv:4", "name", EURO),
            ("b.csv:5", "name", CONTROL),
            ("b.csv:5", "address", CONTROL),
            ("b.csv:6", "desc", EURO),
            ("b.csv:7", "desc", CONTROL),
        ],
    )


def test_reasons_say_why_the_value_would_never_converge(write: WriteFn) -> None:
    write("smsync.yaml", CONFIG)
    write(
        "g.yaml",
        'kind: Group\nname: "Kantor "\ncontacts: [{name: "A\\x81", mobile: "0812345678"}]\n',
    )
    out = "\n".join(problems("validate"))
    assert "would never match" in out
    assert "U+0080/U+0081" in out


def test_inner_spaces_and_spaces_in_address_and_desc_are_data(write: WriteFn) -> None:
    write("smsync.yaml", CONFIG)
    write(
        "g.yaml",
        """\
        kind: Group
        name: Kantor  Pusat
        contacts:
          - {name: "Siti  Rahayu", mobile: "081234567890", address: " Jl. A ", desc: "x "}
        """,
    )
    r = run_cli("validate", ".")
    assert r.exit_code == 0, r.output
