"""State backends for tests, each a real engine: the local SQLite file, a PostgreSQL server
brought by the ``pgserver`` package (real binaries, no root), a git branch pushed to a real
bare repository; and the projects the state tests share between runs."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import uuid
import warnings
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from tests.support.project import Project, contact, group

#: The backends every behaviour test runs against.
KINDS = ["local", "postgresql", "git"]
#: SMSYNC_STATE_KEY of the git backend in tests.
STATE_KEY = "test-state-key"


class PostgresServer:
    """One pgserver instance for the session; a fresh database per test."""

    def __init__(self, root: Path) -> None:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (CI): not ours to fix
            warnings.simplefilter("ignore")
            import pgserver

            self.server: Any = pgserver.get_server(  # type: ignore[attr-defined]
                root, cleanup_mode="stop"
            )
        self.uri: str = self.server.get_uri()

    def database(self) -> str:
        """The URL of a new, empty database."""
        name = "t" + uuid.uuid4().hex[:12]
        self.server.psql(f"CREATE DATABASE {name};")
        return self.uri.replace("/postgres?", f"/{name}?", 1)

    def stop(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.server.cleanup()


def start_postgres() -> Generator[PostgresServer | str, None, None]:
    """A started server, or the reason it cannot start here."""
    # Not under pytest's tmp_path: its parents are private to the user, and run as root,
    # pgserver runs the server as another user, who must reach the data directory.
    tmp = Path(tempfile.mkdtemp(prefix="smsync-pg-"))
    tmp.chmod(0o755)
    try:
        try:
            srv = PostgresServer(tmp / "data")
        except Exception as exc:  # any failure to start is a reason to skip, said in full
            yield f"pgserver could not start a PostgreSQL server: {exc}"
            return
        try:
            yield srv
        finally:
            srv.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def git_project(root: Path, remote: Path) -> None:
    """``root`` becomes a git repository whose ``origin`` is a new bare repository."""
    git("init", "--quiet", "--bare", str(remote), cwd=root)
    git("init", "--quiet", cwd=root)
    git("remote", "add", "origin", str(remote), cwd=root)


def state_url(kind: str, postgres: PostgresServer | str | None, tmp: Path) -> str:
    """A ``state:`` URL of ``kind`` that a test may share between project directories (git:
    ``tmp`` becomes a repository whose origin is a bare one beside it)."""
    if kind == "git":
        git_project(tmp, tmp / "remote.git")
        return "git:smsync-state"
    if kind == "local":
        return f"local:{tmp / 'shared-state' / 'ledger.sqlite'}"
    if kind == "postgresql":
        if not isinstance(postgres, PostgresServer):
            pytest.skip(str(postgres))
        return postgres.database()
    raise ValueError(kind)


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


# --- projects whose runs share a state ---------------------------------------------------------


def broadcast_project(project: Project, state: str) -> None:
    """Office (two contacts), a per-contact broadcast ``rapat`` and a group-call one ``libur``
    to it, with ``state`` as the project's ``state:``."""
    project.write_groups(group("Office", [contact(1), contact(2)]))
    folder = project.root / "broadcasts"
    folder.mkdir(exist_ok=True)
    (folder / "b.yaml").write_text(
        "kind: Broadcast\nname: rapat\naudience:\n  contacts:\n    groups: [Office]\n"
        "template: Rapat jam 10.\n---\n"
        "kind: Broadcast\nname: libur\naudience: {group: Office}\nvia: group-call\n"
        "template: Kantor libur.\n"
    )
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"], state=state)


def fresh_checkout(project: Project, tmp_path: Path, name: str) -> Project:
    """The project's files in another directory, without its .smsync/ (a new CI runner)."""
    root = tmp_path / name
    shutil.copytree(project.root, root, ignore=shutil.ignore_patterns(".smsync"))
    other = Project.__new__(Project)
    other.root, other.config, other.endpoint = root, project.config, project.endpoint
    return other
