"""Number normalisation, `smsync init`, the examples/ repo and the installed CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smsync import numbers
from smsync.spec import load_desired_state, load_project
from tests.support.cli import run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(
    "raw",
    [
        "081234567890",
        "6281234567890",
        "+62 812-3456-7890",
        "62-812-3456-7890",
        "+62 (812) 3456.7890",
        " 0812 3456 7890 ",
    ],
)
def test_every_usual_spelling_has_one_canonical_form(raw: str) -> None:
    assert numbers.normalize(raw) == "+6281234567890"
    assert numbers.to_gateway(numbers.normalize(raw)) == "6281234567890"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "empty"),
        ("0812-CALL-ME", "is not a phone number"),
        ("0812345", "not a valid"),
        ("0211234567", "not a mobile number"),
        ("1" * 40, "is not a phone number"),
    ],
)
def test_invalid_numbers(raw: str, why: str) -> None:
    with pytest.raises(numbers.InvalidNumberError, match=why):
        numbers.normalize(raw)


def test_other_regions_and_lenient_remote_parsing() -> None:
    assert numbers.normalize("+65 9123 4567") == "+6591234567"
    assert numbers.normalize("91234567", "SG") == "+6591234567"
    assert numbers.try_normalize("0211234567") == "+62211234567"  # landline: fine remotely
    assert numbers.try_normalize("garbage") is None
    assert numbers.mask("08126531971") == "0812****971"


def test_init_writes_a_project_that_validates_and_refuses_to_overwrite(tmp_path: Path) -> None:
    r = run_cli("init", str(tmp_path / "p"))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "p/smsync.yaml").is_file() and (tmp_path / "p/groups/teman.yaml").is_file()
    p = load_project(tmp_path / "p")
    assert p.endpoint == f"sandbox://{(tmp_path / 'p').resolve()}/.smsync/sandbox.sqlite"
    assert p.username == "demo"
    state = load_desired_state(p)
    assert [g.name for g in state.groups] == ["Teman"] and state.contact_count == 3
    before = (tmp_path / "p/smsync.yaml").read_text()
    r = run_cli("init", str(tmp_path / "p"))
    assert r.exit_code == 1 and "refusing to overwrite" in r.output
    assert (tmp_path / "p/smsync.yaml").read_text() == before


def test_examples_repo_loads_into_the_expected_state() -> None:
    state = load_desired_state(load_project(EXAMPLES))
    assert {g.name for g in state.groups} == {
        "Keluarga",
        "Kantor",
        "Panitia Reuni 2019",
        "Pelanggan",
    }
    assert 30 <= state.contact_count <= 100
    keluarga = state.group("keluarga")
    assert keluarga is not None and keluarga.protect
    assert all(c.mobile.startswith("+628") for g in state.groups for c in g.contacts)
    (b,) = state.broadcasts
    assert b.channel == "whatsapp" and b.fallback == "sms" and b.not_before is not None
    assert b.audience.contacts is not None and b.audience.contacts.groups == ("Pelanggan",)


def test_installed_cli_validates_the_examples(tmp_path: Path) -> None:
    exe = shutil.which("smsync", path=str(Path(sys.executable).parent))
    assert exe is not None, "smsync is not installed in this environment"
    r = subprocess.run(
        [exe, "validate", str(EXAMPLES)], capture_output=True, text=True, timeout=60, check=False
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("ok: 4 groups (1 absent), ")
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Group\nname: [\n")
    r = subprocess.run(
        [exe, "validate", str(bad)], capture_output=True, text=True, timeout=60, check=False
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"{bad}:3:1: invalid YAML" in r.stdout


def test_large_csv_loads_quickly(tmp_path: Path) -> None:
    import time

    rows = [f"Orang {i},0812{i:08d}" for i in range(20_000)]
    (tmp_path / "big.csv").write_text("name,mobile\n" + "\n".join(rows) + "\n")
    (tmp_path / "g.yaml").write_text("kind: Group\nname: Besar\ncontacts_file: big.csv\n")
    t = time.perf_counter()
    state = load_desired_state(load_project(tmp_path))
    assert state.contact_count == 20_000
    assert time.perf_counter() - t < 10  # ~0.6 s on a laptop; 100k rows take ~3 s
