"""Recurring broadcasts (``mode: recurring``) through the real CLI against the sandbox, on a
frozen clock (SMSYNC_NOW): each occurrence goes out once, on the right local day."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date, timedelta
from typing import Any

from smsync.sandbox import SandboxServer
from tests.support.numbers import gw
from tests.support.project import Project, contact, group

BIRTHS = {1: "1990-03-15", 2: "2000-02-29", 3: "1985-12-31"}  # 4: no birth date


def _setup(project: Project, **schedule: Any) -> None:
    project.config["spec"] = ["groups/*.yaml", "broadcasts/*.yaml"]
    project.write_config()
    members = [contact(i, birth=BIRTHS[i]) for i in BIRTHS] + [contact(4)]
    project.write_groups(group("Office", members))
    doc = {
        "kind": "Broadcast",
        "name": "ultah",
        "mode": "recurring",
        "schedule": {"on": "birth", "time": "09:00", **schedule},
        "audience": {"contacts": {"groups": ["Office"]}},
        "template": "Selamat ulang tahun ke-{{ age }}, {{ name }}! ({{ occurrence }})",
    }
    project.write_documents("broadcasts/b.yaml", [doc])


def _at(project: Project, command: str, when: str) -> Any:
    args = ["--detailed-exitcode", "--show-pii"] if command == "plan" else ["--auto-approve"]
    return project.run(command, str(project.root), *args, env={"SMSYNC_NOW": when})


def test_birthday_broadcast_run_daily_for_a_year_sends_each_contact_one_message(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project)
    day = date(2027, 1, 1)  # not a leap year: 29 February falls on 28 February
    while day.year == 2027:
        # the daily CI job runs at 10:00 Jakarta time
        assert _at(project, "apply", f"{day.isoformat()}T10:00:00+07:00").exit_code == 0
        day += timedelta(days=1)
    sent = sandbox.store.snapshot()["messages"]
    assert Counter(m["mobile"] for m in sent) == {gw(1): 1, gw(2): 1, gw(3): 1}
    texts = {m["mobile"]: m["text"] for m in sent}
    assert texts[gw(1)] == "Selamat ulang tahun ke-37, Kontak 1! (2027-03-15)"
    assert texts[gw(2)] == "Selamat ulang tahun ke-26, Kontak 2! (2027-02-28)"
    assert texts[gw(3)] == "Selamat ulang tahun ke-42, Kontak 3! (2027-12-31)"


def test_birthday_is_not_sent_before_its_local_time_and_plan_shows_who_gets_what_today(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, timezone="Asia/Jayapura")  # WIT: UTC+9
    project.apply("--no-broadcasts")
    # 08:30 in Jayapura is 06:30 in Jakarta: not yet
    early = _at(project, "plan", "2027-03-15T08:30:00+09:00").output
    assert "Broadcast ultah (sms, per contact): recurring: no occurrence due now" in early
    today = _at(project, "plan", "2027-03-15T09:30:00+09:00").output
    assert "Broadcast ultah@2027-03-15 (sms, per contact): 1 recipient: 1 to send" in today
    assert "Selamat ulang tahun ke-37, Kontak 1! (2027-03-15)" in today


def test_missed_occurrence_is_sent_within_the_grace_window_never_later(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, grace_hours=30)
    _at(project, "apply", "2027-03-16T14:59:00+07:00")  # 29h59m after 15 March 09:00
    assert len(sandbox.store.snapshot()["messages"]) == 1
    _setup(project, grace_hours=30)
    _at(project, "apply", "2027-12-31T08:59:00+07:00")  # before its time
    _at(project, "apply", "2028-01-01T15:00:00+07:00")  # 30h after: too late
    assert len(sandbox.store.snapshot()["messages"]) == 1


def test_occurrence_is_sent_once_even_when_the_state_is_lost(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project)
    assert _at(project, "apply", "2027-03-15T10:00:00+07:00").exit_code == 0
    assert _at(project, "apply", "2027-03-15T11:00:00+07:00").exit_code == 0
    shutil.rmtree(project.root / ".smsync")
    # the occurrence is part of the trxid: the gateway answers the first send, sends nothing
    assert _at(project, "apply", "2027-03-15T12:00:00+07:00").exit_code == 0
    assert [m["mobile"] for m in sandbox.store.snapshot()["messages"]] == [gw(1)]


def test_recurring_broadcast_without_schedule_is_one_clear_error(project: Project) -> None:
    _setup(project)
    project.write_documents(
        "broadcasts/b.yaml",
        [
            {
                "kind": "Broadcast",
                "name": "ultah",
                "mode": "recurring",
                "audience": {"contacts": {"groups": ["Office"]}},
                "template": "Halo",
            }
        ],
    )
    result = project.plan()
    assert result.exit_code == 1
    assert "schedule" in result.output + result.stderr
