"""`smsync import` against a real sandbox gateway over HTTP: import -> validate -> compare with
the sandbox's state, and -> plan shows no changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smsync.numbers import normalize
from smsync.sandbox import SandboxConfig, SandboxServer
from smsync.spec import load_desired_state, load_project
from tests.support.cli import run_cli
from tests.support.sandbox import PASSWORD, USERNAME


@pytest.fixture(params=["full", "short"])
def gateway(request: pytest.FixtureRequest) -> Iterator[SandboxServer]:
    """A sandbox listing full records, or short ones (details need phbkGetCompleteData)."""
    with SandboxServer(SandboxConfig(db_path=":memory:", list_form=request.param)) as srv:
        srv.store.upsert_account(USERNAME, PASSWORD, credit=1000)
        seed(srv)
        yield srv


def seed(srv: SandboxServer) -> None:
    s = srv.store
    for g in ("Kantor", "Keluarga Besar", "Kosong"):
        s.add_group(USERNAME, g)
    s.add_contact(
        USERNAME,
        name="Budi Santoso",
        mobile="081234567890",
        group="Kantor",
        address="Jl. Merdeka 1, Bandung",
        birth=dt.date(1980, 8, 17),
        desc="Direktur",
    )
    s.add_contact(USERNAME, name="Siti  Rahayu", mobile="6285712345678", group="Kantor")
    s.add_contact(USERNAME, name="Yes", mobile="6281398765432", group="Kantor", desc="0812")
    s.bulk_add_contacts(
        USERNAME,
        [(f"Anggota {i:03d}", f"0812{7000000 + i:07d}", "Keluarga Besar") for i in range(250)],
    )


@pytest.fixture
def project(tmp_path: Path, gateway: SandboxServer) -> Path:
    (tmp_path / "smsync.yaml").write_text(
        f"gateway: {{endpoint: '{gateway.url}', username: {USERNAME}}}\n"
    )
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    return tmp_path


def cli(project: Path, *args: str) -> Any:
    return run_cli(*args, str(project), "--password-file", str(project / "pw"))


def remote_groups(srv: SandboxServer) -> dict[str, set[tuple[Any, ...]]]:
    snap = srv.store.snapshot()
    out: dict[str, set[tuple[Any, ...]]] = {g["name"]: set() for g in snap["groups"]}
    for c in snap["contacts"]:
        out[c["group"]].add(
            (
                c["name"],
                normalize(c["mobile"]),
                c["address"] or None,
                c["birth"] or None,
                c["desc"] or None,
            )
        )
    return out


def test_import_validate_compare_and_plan(project: Path, gateway: SandboxServer) -> None:
    r = cli(project, "import")
    assert r.exit_code == 0, r.output
    assert "imported 3 groups, 253 contacts into 4 files" in r.output
    groups = project / "groups"
    assert sorted(p.name for p in groups.iterdir()) == [
        "kantor.yaml",
        "keluarga-besar.csv",
        "keluarga-besar.yaml",
        "kosong.yaml",
    ]
    assert "contacts_file: keluarga-besar.csv" in (groups / "keluarga-besar.yaml").read_text()

    v = run_cli("validate", str(project))
    assert v.exit_code == 0, v.output
    assert v.output.startswith("ok: 3 groups, 253 contacts")

    state = load_desired_state(load_project(project))
    mine = {
        g.name: {
            (c.name, c.mobile, c.address, c.birth.isoformat() if c.birth else None, c.desc)
            for c in g.contacts
        }
        for g in state.groups
    }
    assert mine == remote_groups(gateway)

    plan = cli(project, "plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "No changes" in plan.output


def test_import_selected_groups_and_refuses_to_overwrite(project: Path) -> None:
    out = project / "spec"
    r = cli(project, "import", "--out", str(out), "--group", "kantor", "--csv-threshold", "1")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["kantor.csv", "kantor.yaml"]
    assert (out / "kantor.csv").read_text().splitlines()[0] == "name,mobile,address,birth,desc"
    again = cli(project, "import", "--out", str(out), "--group", "Kantor")
    assert again.exit_code == 1 and "refusing to overwrite" in again.output
    forced = cli(project, "import", "--out", str(out), "--group", "Kantor", "--force")
    assert forced.exit_code == 0, forced.output
    missing = cli(project, "import", "--group", "Nope")
    assert missing.exit_code == 1 and "no such group on the gateway: Nope" in missing.output


def test_remote_duplicates_and_invalid_numbers_are_reported(
    project: Path, gateway: SandboxServer
) -> None:
    gateway.store.add_contact(
        USERNAME, name="Budi lagi", mobile="+62 812 3456 7890", group="Kantor"
    )
    gateway.store.add_contact(USERNAME, name="Kantor pusat", mobile="0211234567", group="Kosong")
    r = cli(project, "import", "--group", "Kantor", "--group", "Kosong")
    assert r.exit_code == 0, r.output
    assert "has the same number as id" in r.output
    assert "'0211234567' is not a mobile number" in r.output
    assert "Budi lagi" not in (project / "groups/kantor.yaml").read_text()


def test_import_through_an_embedded_sandbox_endpoint(tmp_path: Path) -> None:
    db = tmp_path / "sb.sqlite"
    with SandboxServer(SandboxConfig(db_path=str(db))) as srv:
        srv.store.upsert_account(USERNAME, "whatever", credit=10)
        srv.store.add_group(USERNAME, "Teman")
        srv.store.add_contact(USERNAME, name="Andi", mobile="081234567890", group="Teman")
    r = run_cli("import", str(tmp_path), "--endpoint", f"sandbox://{db}", "--username", USERNAME)
    assert r.exit_code == 0, r.output
    text = (tmp_path / "groups/teman.yaml").read_text()
    assert "name: Andi" in text and "'081234567890'" in text
