"""Remote and spec data never reach the terminal (or a pull-request comment) raw: control
characters, line separators and bidi overrides are shown as visible escapes, so a contact named
"x\\r\\x1b[2K~ change ..." cannot overwrite its own `- delete` line with a fake `~ change`.
Markdown also keeps every value inside the code block or list item it belongs to.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from tests.support.numbers import number
from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME

# Shown as escapes; "\n" is allowed in output only as the line separator.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

HOSTILE_NAMES = [
    "x\r\x1b[2K  ~ change #1 Budi (harmless)",
    "\x1b]0;pwned\x07title",
    "y\n  ~ change #2 fake line",
    "\u202eevil\u202c",
    "\u2066iso\u2069 \u2028sep\u2029",
    "c1\x9b2K\x85next\x7fdel",
    "```\n</details> | **bold** `tick`",
]
DECLARED = 20  # so that deleting the hostile rows stays under the safety threshold


@pytest.fixture
def hostile(project: Project, sandbox: Any) -> Project:
    """Office declared with DECLARED contacts; remotely it also holds one contact per hostile
    name (planned as deletes), and contact 0 has a hostile desc (planned as a change)."""
    project.write_groups(
        group("Office", [contact(0, desc="Staf"), *(contact(i) for i in range(1, DECLARED))])
    )
    # Straight into the store: the gateway client may refuse such values in writes.
    sandbox.store.add_group(USERNAME, "Office")
    for i in range(DECLARED):
        desc = "\u202e\x85old\r\x1b[31m" if i == 0 else ""
        sandbox.store.add_contact(
            USERNAME, name=f"Kontak {i}", mobile=number(i), group="Office", desc=desc
        )
    for k, name in enumerate(HOSTILE_NAMES):
        sandbox.store.add_contact(USERNAME, name=name, mobile=number(100 + k), group="Office")
    return project


def _plan(project: Project, fmt: str, *extra: str) -> str:
    result = project.run("plan", str(project.root), "--format", fmt, *extra)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("pii", [["--show-pii"], []], ids=["show-pii", "masked"])
def test_text_plan_shows_hostile_names_escaped_one_action_per_line(
    hostile: Project, pii: list[str]
) -> None:
    out = _plan(hostile, "text", *pii)
    assert not RAW.search(out), RAW.findall(out)
    actions = [line for line in out.splitlines() if re.match(r"  [+~>-] ", line)]
    assert sum(a.startswith("  - delete #") for a in actions) == len(HOSTILE_NAMES), out
    [change] = [a for a in actions if a.startswith("  ~ ")]  # only the real one
    assert change.startswith("  ~ change #") and "K" in change, change
    assert len(actions) == len(HOSTILE_NAMES) + 1
    if pii:
        for escape in (
            "\\r",
            "\\x1b[2K",
            "\\n",
            "\\u202e",
            "\\u2028",
            "\\x9b",
            "\\x85",
            "\\x7f",
            "\\x07",
        ):
            assert escape in out, escape
        # field values too: the remote desc of contact 0
        assert 'desc: "\\u202e\\x85old\\r\\x1b[31m" → "Staf"' in out


def test_markdown_plan_keeps_hostile_names_inside_the_code_block(hostile: Project) -> None:
    out = _plan(hostile, "markdown", "--show-pii")
    assert not RAW.search(out), RAW.findall(out)
    lines = out.splitlines()
    fences = [i for i, line in enumerate(lines) if line.startswith("```")]
    assert [lines[i] for i in fences] == ["```diff", "```"], out  # one block, nothing closed it
    block = lines[fences[0] + 1 : fences[1]]
    assert sum(line.startswith("- delete #") for line in block) == len(HOSTILE_NAMES), out
    assert sum(line.startswith("! ") for line in block) == 1, out
    outside = lines[: fences[0]] + lines[fences[1] + 1 :]  # in the block, HTML is just text
    assert sum("details>" in line for line in outside) == 2  # our own <details> and </details>


def test_json_plan_keeps_the_exact_remote_values(hostile: Project) -> None:
    out = _plan(hostile, "json")
    names = {a["before"]["name"] for a in json.loads(out)["actions"] if a["op"] == "delete_contact"}
    assert names == set(HOSTILE_NAMES)


def test_markdown_escapes_values_outside_code_blocks(project: Project, sandbox: Any) -> None:
    """A broadcast's sample message sits in a list item, not a code block: its markdown must
    not open an HTML block, a code span or a table cell."""
    project.write_groups(group("Office", [contact(1, "Budi")]))
    folder = project.root / "broadcasts"
    folder.mkdir()
    (folder / "b.yaml").write_text(
        yaml.safe_dump(
            {
                "kind": "Broadcast",
                "name": "rapat",
                "audience": {"contacts": {"groups": ["Office"]}},
                "template": "Halo {{ name }} <details> | `x` **y** [z](http://e.test) &#x202e;",
            }
        )
    )
    project.write_config(
        spec=["groups/*.yaml", "broadcasts/*.yaml"], ledger=str(project.root / "ledger.sqlite")
    )
    out = project.run("plan", str(project.root), "--format", "markdown", "--show-pii").stdout
    [sample] = [line for line in out.splitlines() if line.startswith("- → ")]
    assert "\\<details\\>" in sample and "\\|" in sample and "\\`x\\`" in sample, sample
    assert "\\*\\*y\\*\\*" in sample and "\\[z\\]" in sample and "\\&#x202e;" in sample
    assert out.count("<details>") == out.count("</details>") == 1  # only ours


def test_apply_failure_lines_are_escaped(make_sandbox: Any, make_project: Any) -> None:
    """Faults make some deletes fail; their `failed: ...` lines name hostile contacts."""
    server = make_sandbox(fault_rate=0.3, seed=3, fault_kinds=["1703"])
    project = make_project(server)
    project.write_groups(group("Office", [contact(i) for i in range(DECLARED)]))
    server.store.add_group(USERNAME, "Office")
    for i in range(DECLARED):
        server.store.add_contact(USERNAME, name=f"Kontak {i}", mobile=number(i), group="Office")
    for k, name in enumerate(HOSTILE_NAMES):
        server.store.add_contact(USERNAME, name=name, mobile=number(100 + k), group="Office")
    failed_lines: list[str] = []
    for _ in range(10):
        result = project.run(
            "apply", str(project.root), "--auto-approve", "--show-pii", "--concurrency", "1"
        )
        assert not RAW.search(result.output), RAW.findall(result.output)
        assert result.stderr is not None
        failed_lines += [ln for ln in result.stderr.splitlines() if ln.startswith("failed: ")]
        if any("- delete" in ln for ln in failed_lines):
            break
    assert any("- delete" in ln for ln in failed_lines), "no delete failed in 10 runs"
