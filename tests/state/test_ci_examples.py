"""The CI examples keep the state on a git branch: no cache, plans that read it, applies that
write it. (The jobs themselves are played in test_git_state.py with real clones.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from smsync.state import parse_state_url

EXAMPLES = Path(__file__).parents[2] / "examples" / "ci"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


def test_github_example_keeps_the_state_on_a_branch_and_no_cache() -> None:
    flow = load("github-actions.yml")
    assert parse_state_url(flow["env"]["SMSYNC_STATE"]) == ("git", "smsync-state")
    assert flow["env"]["SMSYNC_STATE_KEY"] == "${{ secrets.SMSYNC_STATE_KEY }}"
    jobs = flow["jobs"]
    assert jobs["plan"]["permissions"]["contents"] == "read"
    assert jobs["apply"]["permissions"]["contents"] == "write"
    triggers = next(v for k, v in flow.items() if k in ("on", True))  # YAML 1.1: `on` is True
    assert "schedule" in triggers
    assert "actions/cache" not in (EXAMPLES / "github-actions.yml").read_text()
    assert any("--lock-timeout" in step.get("run", "") for step in jobs["apply"]["steps"])


def test_gitlab_example_keeps_the_state_on_a_branch() -> None:
    flow = load("gitlab-ci.yml")
    kind, rest = parse_state_url(flow["variables"]["SMSYNC_STATE"])
    assert kind == "git" and rest.startswith("smsync-state@https://")
    assert any(
        "smsync apply" in line and "--lock-timeout" in line for line in flow["apply"]["script"]
    )
    assert "cache" not in flow["apply"]
