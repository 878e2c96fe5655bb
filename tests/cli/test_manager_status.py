"""Manager.status: the delivery counts that `smsync status` prints, for library users too.

The project is the README's example (sandbox:// endpoint, one broadcast to 19 contacts),
applied through the real CLI first so that the ledger holds real sends.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from smsync.cli import cli
from smsync.errors import SmsyncError
from smsync.manager import GatewayOptions, Manager

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BROADCAST = "promo-lebaran-2025"
# Nothing listens there: a status that asked the gateway would fail.
NOWHERE = GatewayOptions(endpoint="http://127.0.0.1:9", username="demo")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("SMSYNC_ENDPOINT", "SMSYNC_USERNAME", "SMSYNC_PASSWORD", "SMSYNC_CREDENTIALS_FILE"):
        monkeypatch.delenv(var, raising=False)
    root = tmp_path / "phonebook"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".smsync", "*.sh", "ci"))
    return root


def applied(project: Path) -> Path:
    result = CliRunner().invoke(cli, ["apply", str(project), "--auto-approve"])
    assert result.exit_code == 0, result.output
    return project


def test_status_without_refresh_reads_the_ledger_alone(project: Path) -> None:
    status = Manager(applied(project), NOWHERE).status(refresh=False)

    assert status.refreshed is None
    assert list(status.counts) == [BROADCAST]
    assert sum(status.counts[BROADCAST].values()) == 19
    printed = CliRunner().invoke(cli, ["status", str(project), "--no-refresh", "--json"])
    assert printed.exit_code == 0, printed.output
    [shown] = json.loads(printed.output)["broadcasts"]
    assert (shown["name"], shown["states"]) == (BROADCAST, dict(status.counts[BROADCAST]))


def test_status_refreshes_unfinished_messages_through_the_gateway(project: Path) -> None:
    status = Manager(applied(project)).status(BROADCAST, concurrency=2)

    assert status.refreshed is not None
    assert status.refreshed.errors == 0
    assert sum(status.counts[BROADCAST].values()) == 19


def test_status_of_a_project_that_sent_nothing_says_so(project: Path) -> None:
    with pytest.raises(SmsyncError, match=r"no ledger at .*: no broadcast has been sent yet"):
        Manager(project, NOWHERE).status()
    assert not (project / ".smsync" / "ledger.sqlite").exists()


def test_status_of_an_unknown_broadcast_names_it_and_the_ledger(project: Path) -> None:
    manager = Manager(applied(project), NOWHERE)

    with pytest.raises(SmsyncError, match=r"broadcast 'nope' is not in the ledger .*ledger.sqlite"):
        manager.status("nope", refresh=False)
