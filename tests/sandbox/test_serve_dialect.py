"""`smsync sandbox serve` takes every dialect switch as a flag, and a whole dialect from the
file `smsync doctor --json` writes: a gateway found at first contact can be served offline,
and the doctor finds the same dialect in it. A subprocess, as a user runs it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from click.testing import CliRunner

from smsync.cli import cli
from smsync.sandbox import SandboxServer, Store
from tests.support.numbers import number
from tests.support.sandbox import PASSWORD, USERNAME
from tests.support.serve import sandbox_serve

DIALECT = {
    "paths": "underscore",
    "number_param": "number",
    "credits_path": "root",
    "max_page_size": 7,
    "list_form": "short",
    "separator": "cp1252",
    "birth_form": "slash",
    "error_suffix": "<br>",
}


def seed(store: Store) -> None:
    store.add_group(USERNAME, "Office")
    for i in range(12):
        store.add_contact(
            USERNAME, name=f"Kontak {i}", mobile=number(i), group="Office", birth="1990-08-17"
        )


@contextmanager
def served(db: Path, *flags: str) -> Iterator[str]:
    with sandbox_serve("--db", str(db), "--account", f"{USERNAME}:{PASSWORD}", *flags) as s:
        yield s.url


def doctor(url: str, tmp: Path) -> dict[str, object]:
    result = CliRunner().invoke(
        cli,
        ["doctor", str(tmp), "--endpoint", url, "--username", USERNAME, "--json"],
        env={"SMSYNC_PASSWORD": PASSWORD},
    )
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.output)
    return data


def test_a_dialect_found_by_doctor_is_served_again_from_its_file(
    tmp_path: Path, make_sandbox: Callable[..., SandboxServer]
) -> None:
    original = make_sandbox(**DIALECT)
    seed(original.store)
    report = tmp_path / "doctor.json"
    report.write_text(json.dumps(doctor(original.url, tmp_path)), encoding="utf-8")
    db = tmp_path / "copy.sqlite"
    seed_store = Store(str(db))
    seed(seed_store)
    seed_store.close()
    with served(db, "--dialect", str(report)) as url:
        assert doctor(url, tmp_path)["sandbox"] == DIALECT


def test_flags_override_the_dialect_file(tmp_path: Path) -> None:
    dialect = tmp_path / "dialect.json"
    dialect.write_text(json.dumps(DIALECT), encoding="utf-8")
    db = tmp_path / "served.sqlite"
    store = Store(str(db))
    seed(store)
    store.close()
    with served(
        db,
        "--dialect",
        str(dialect),
        "--paths",
        "camel",
        "--number-param",
        "no",
        "--md5-charset",
        "utf-8",
    ) as url:
        found = doctor(url, tmp_path)["sandbox"]
    assert found == {**DIALECT, "paths": "camel", "number_param": "no"}


def test_a_bad_dialect_file_is_one_clear_line(tmp_path: Path) -> None:
    dialect = tmp_path / "dialect.json"
    dialect.write_text(json.dumps({"max_page_size": "many"}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--dialect", str(dialect)])
    assert result.exit_code == 1
    assert "max_page_size: 'many' is not an integer" in result.output
    assert "Traceback" not in result.output
