"""The CI examples write the delivery report after each apply and keep it as an artifact, even
when the apply failed (that is when it is wanted most)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

EXAMPLES = Path(__file__).parents[2] / "examples" / "ci"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


def report_file(line: str) -> str | None:
    """The FILE of an `smsync status ... --report FILE` command line, if it is one."""
    words = shlex.split(line)
    if words[:2] != ["smsync", "status"] or "--report" not in words:
        return None
    return words[words.index("--report") + 1]


@pytest.mark.parametrize("job", ["apply", "broadcasts"])
def test_github_apply_uploads_the_delivery_report_even_when_it_fails(job: str) -> None:
    steps = load("github-actions.yml")["jobs"][job]["steps"]
    applied = next(i for i, s in enumerate(steps) if "smsync apply" in s.get("run", ""))
    written = [(i, s) for i, s in enumerate(steps) if report_file(s.get("run", ""))]
    [(at, step)] = written
    uploads = [s for s in steps[at:] if s.get("uses", "").startswith("actions/upload-artifact@")]

    assert at > applied and step["if"] == "always()"
    assert [u["with"]["path"] for u in uploads] == [report_file(step["run"])]
    assert uploads[0]["if"] == "always()"


@pytest.mark.parametrize("name", ["apply", "broadcasts"])
def test_gitlab_apply_keeps_the_delivery_report_as_an_artifact_even_when_it_fails(
    name: str,
) -> None:
    job = load("gitlab-ci.yml")[name]
    [written] = [f for line in job["after_script"] if (f := report_file(line.split("||")[0]))]

    assert job["artifacts"]["paths"] == [written] and job["artifacts"]["when"] == "always"
