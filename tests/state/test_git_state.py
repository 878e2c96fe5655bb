"""The git backend: a branch of the project's own repository, shared by CI jobs that share
nothing else. Played with real clones and a real bare remote."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from smsync.broadcast import Ledger
from smsync.state import Record, StateError
from smsync.state.git import KEY_ENV, GitBackend
from tests.support.project import Project
from tests.support.sandbox import messages
from tests.support.state import STATE_KEY, broadcast_project, git, git_project


def clone(remote: Path, root: Path, endpoint: str) -> Project:
    """A CI job's fresh checkout of the project (nothing but what the remote holds)."""
    git("clone", "--quiet", "--branch", "main", str(remote), str(root), cwd=remote.parent)
    job = Project.__new__(Project)
    job.root, job.endpoint = root, endpoint
    job.config = {
        "version": 1,
        "gateway": {"endpoint": endpoint, "username": "demo"},
        "spec": ["groups/*.yaml", "broadcasts/*.yaml"],
    }
    return job


def to_send(job: Project) -> int:
    """What a pull request's plan says apply would send."""
    result = job.run("plan", str(job.root), "--format", "json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    return sum(b["totals"]["to_send"] for b in plan["broadcasts"] if b["due"])


@pytest.fixture
def remote(tmp_path: Path, project: Project, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project pushed to a bare remote (its main branch), SMSYNC_STATE_KEY set."""
    monkeypatch.setenv(KEY_ENV, STATE_KEY)
    bare = tmp_path.parent / f"{tmp_path.name}-remote.git"
    broadcast_project(project, "git:smsync-state")
    git_project(project.root, bare)
    git("add", "smsync.yaml", "groups", "broadcasts", cwd=project.root)
    git(
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "--quiet",
        "-m",
        "spec",
        cwd=project.root,
    )
    git("push", "--quiet", "origin", "HEAD:main", cwd=project.root)
    return bare


def test_pr_plan_and_apply_jobs_in_two_clones_send_each_message_once(
    remote: Path, tmp_path: Path, project: Project, sandbox: Any
) -> None:
    pr_job = clone(remote, tmp_path.parent / f"{tmp_path.name}-pr", project.endpoint)
    assert to_send(pr_job) == 4  # two per-contact messages, a group send to two members

    apply_job = clone(remote, tmp_path.parent / f"{tmp_path.name}-apply", project.endpoint)
    assert apply_job.apply().exit_code == 0
    assert len(messages(sandbox)) == 4

    next_pr = clone(remote, tmp_path.parent / f"{tmp_path.name}-pr2", project.endpoint)
    assert to_send(next_pr) == 0  # the PR plan is accurate: all was sent
    assert to_send(pr_job) == 0  # an older checkout too: the state is fetched, not cached
    scheduled = clone(remote, tmp_path.parent / f"{tmp_path.name}-cron", project.endpoint)
    assert scheduled.apply().exit_code == 0
    assert len(messages(sandbox)) == 4


def test_no_phone_number_nor_kept_body_enters_git_history(
    remote: Path, project: Project, sandbox: Any
) -> None:
    result = project.run(
        "apply", str(project.root), "--auto-approve", env={"SMSYNC_LEDGER_KEEP_BODIES": "1"}
    )
    assert result.exit_code == 0, result.output
    assert len(messages(sandbox)) == 4
    history = subprocess.run(
        ["git", "log", "-p", "smsync-state"], cwd=remote, check=True, capture_output=True, text=True
    ).stdout
    assert "journal.jsonl" in history and "rapat" in history
    for digits in ("6281230000001", "081230000001", "81230000002"):
        assert digits not in history
    assert '"body": "k1:' in history
    assert "Rapat jam" not in history and "Kantor libur" not in history


def test_state_read_with_another_key_is_one_clear_error(
    remote: Path, project: Project, sandbox: Any
) -> None:
    assert project.apply().exit_code == 0
    result = project.run("plan", str(project.root), env={KEY_ENV: "another key"})
    assert result.exit_code == 1
    assert "written with another SMSYNC_STATE_KEY" in result.output
    assert "Traceback" not in result.output


def test_git_state_without_a_key_is_refused(
    project: Project, sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    broadcast_project(project, "git:smsync-state")
    result = project.plan()
    assert result.exit_code == 1
    assert "needs SMSYNC_STATE_KEY" in result.output


def test_writers_racing_to_push_lose_no_record(remote: Path, tmp_path: Path) -> None:
    writers = []
    for n in range(3):
        root = tmp_path.parent / f"{tmp_path.name}-w{n}"
        git("clone", "--quiet", "--branch", "main", str(remote), str(root), cwd=remote.parent)
        writers.append(GitBackend(root, "smsync-state", key=STATE_KEY))

    def write(n: int, backend: GitBackend) -> None:
        for i in range(5):
            backend.append([Record("meta", (f"w{n}-{i}",), {"key": f"w{n}-{i}", "value": "x"})])

    threads = [threading.Thread(target=write, args=(n, b)) for n, b in enumerate(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    keys = {r.key[0] for r in writers[0].read() if r.table == "meta"}
    assert keys == {f"w{n}-{i}" for n in range(3) for i in range(5)}


def test_a_lock_entry_is_seen_by_another_clone(remote: Path, tmp_path: Path) -> None:
    a_root, b_root = (tmp_path.parent / f"{tmp_path.name}-{x}" for x in "ab")
    for root in (a_root, b_root):
        git("clone", "--quiet", "--branch", "main", str(remote), str(root), cwd=remote.parent)
    a = GitBackend(a_root, "smsync-state", key=STATE_KEY)
    b = GitBackend(b_root, "smsync-state", key=STATE_KEY)
    held = a.lock("demo@gw")
    with pytest.raises(StateError, match=held.id):
        b.lock("demo@gw", timeout=0.2)
    assert [i.id for i in b.locks()] == [held.id]
    assert b.unlock(held.id).id == held.id
    assert b.lock("demo@gw").id != held.id


def test_pending_row_is_on_the_remote_before_the_send(remote: Path, tmp_path: Path) -> None:
    root = tmp_path.parent / f"{tmp_path.name}-c"
    git("clone", "--quiet", "--branch", "main", str(remote), str(root), cwd=remote.parent)
    with Ledger(GitBackend(root, "smsync-state", key=STATE_KEY)) as ledger:
        ledger.record_pending(
            broadcast="b",
            number="+628123",
            kind="contact",
            channel="sms",
            trxid="t",
            attempt=0,
            body="x",
            segments=1,
        )
        elsewhere = GitBackend(tmp_path, "smsync-state", key=STATE_KEY)
        rows = [r for r in elsewhere.read() if r.table == "sends"]
        assert rows and rows[0].row is not None and rows[0].row["state"] == "pending"
