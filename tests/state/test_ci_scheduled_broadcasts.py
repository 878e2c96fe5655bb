"""The CI examples' scheduled runs send only the broadcasts that are due (``--broadcasts-only``),
with the same state as the push job's apply; only the push job changes the phonebook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

EXAMPLES = Path(__file__).parents[2] / "examples" / "ci"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


def _runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job.get("steps", []) if "run" in step]


def test_github_schedule_runs_apply_broadcasts_only_and_push_applies_everything() -> None:
    flow = _load("github-actions.yml")
    triggers = next(v for k, v in flow.items() if k in ("on", True))  # YAML 1.1: `on` is True
    assert triggers["schedule"]
    jobs = flow["jobs"]
    scheduled = [j for j in jobs.values() if "schedule" in j.get("if", "")]
    assert len(scheduled) == 1
    assert any(
        r.startswith("smsync apply --broadcasts-only --auto-approve") for r in _runs(scheduled[0])
    )
    assert "schedule" not in jobs["apply"]["if"]  # the phonebook changes on push only
    applies = [r for r in _runs(jobs["apply"]) if r.startswith("smsync apply")]
    assert applies and not any("--broadcasts-only" in r for r in applies)
    # one state for both: the workflow's env, not a job's
    assert all("SMSYNC_STATE" not in j.get("env", {}) for j in jobs.values())


def test_gitlab_schedule_runs_apply_broadcasts_only() -> None:
    flow = _load("gitlab-ci.yml")
    scheduled = [
        j
        for j in flow.values()
        if isinstance(j, dict) and any("schedule" in r.get("if", "") for r in j.get("rules", []))
    ]
    assert len(scheduled) == 1
    assert any("smsync apply --broadcasts-only" in line for line in scheduled[0]["script"])
    assert not any("--broadcasts-only" in line for line in flow["apply"]["script"])
