"""Soak the reliability guarantees: the chaos and crash scenarios of tests/reliability/, run
over many more seeds than CI does, summarised as a table.

    python benchmarks/chaos.py                 # 30 chaos trials per fault rate, 20 crash trials
    python benchmarks/chaos.py --trials 5      # shorter
    python benchmarks/chaos.py --json          # machine-readable

Scenarios (see tests/reliability/scenarios.py for the seeded world each trial builds):

* ``chaos-10%/20%/30%``: apply (phonebook changes + a per-contact broadcast) against a sandbox
  answering that share of requests with 1703, a dropped connection or an applied-then-dropped
  answer, plus latency spikes beyond the client's read timeout and a random gateway dialect;
  apply is re-run until a plan shows no changes. "faults" are the sandbox's injected faults
  (timeouts come on top); "re-runs" is the number of applies that took (max over trials).
* ``crash-phonebook`` / ``crash-broadcast``: the real CLI in a subprocess, SIGKILLed 1-2 times
  at a random request, then re-run until it exits 0. "faults" are kills; "re-runs" the runs
  after the kills.

Duplicates (extra messages to a recipient), lost messages (recipients never messaged) and
wrongful deletes (undeclared or protected rows deleted or changed) must all be 0: the exit
status is 1 otherwise. Managed groups must also end exactly as the spec says ("state errors").
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.reliability.scenarios import (  # noqa: E402 - needs the repository on sys.path
    Trial,
    chaos_config,
    chaos_trial,
    crash_trial,
    start_sandbox,
)

MAX_APPLIES = 25


@dataclass
class Row:
    scenario: str
    trials: int = 0
    faults: int = 0
    reruns_max: int = 0
    duplicates: int = 0
    lost: int = 0
    wrongful_deletes: int = 0
    state_errors: int = 0
    seconds: float = 0.0

    def add(self, trial: Trial) -> None:
        self.trials += 1
        self.faults += trial.faults
        self.reruns_max = max(self.reruns_max, trial.reruns)
        self.duplicates += trial.check.duplicates
        self.lost += trial.check.lost
        self.wrongful_deletes += trial.check.wrongful_deletes
        self.state_errors += len(trial.check.state)

    @property
    def ok(self) -> bool:
        return not (self.duplicates or self.lost or self.wrongful_deletes or self.state_errors)


def run_chaos(rate_index: int, trials: int, base: Path) -> Row:
    row = Row(f"chaos-{(rate_index + 1) * 10}%")
    start = time.monotonic()
    for k in range(trials):
        seed = 3 * (k + 10_000) + rate_index  # seed % 3 picks the fault rate
        config = chaos_config(seed)
        srv = start_sandbox(**config)
        try:
            row.add(chaos_trial(srv, base / f"{row.scenario}-{k}", seed, max_runs=MAX_APPLIES))
        finally:
            srv.stop()
    row.seconds = time.monotonic() - start
    return row


def run_crash(broadcast: bool, trials: int, base: Path) -> Row:
    row = Row("crash-broadcast" if broadcast else "crash-phonebook")
    start = time.monotonic()
    for k in range(trials):
        seed = 50_000 + 1000 * int(broadcast) + k
        srv = start_sandbox(latency_ms=4, latency_jitter_ms=8, seed=seed)
        try:
            row.add(
                crash_trial(
                    srv, base / f"{row.scenario}-{k}", random.Random(seed), broadcast=broadcast
                )
            )
        finally:
            srv.stop()
    row.seconds = time.monotonic() - start
    return row


def table(rows: list[Row]) -> str:
    head = (
        "| scenario | trials | faults injected | re-runs to converge (max) | duplicates "
        "| lost messages | wrongful deletes | state errors | time |"
    )
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r.scenario} | {r.trials} | {r.faults} | {r.reruns_max} | "
            f"{r.duplicates} | {r.lost} | {r.wrongful_deletes} | {r.state_errors} | "
            f"{r.seconds:.0f} s |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--trials",
        type=int,
        default=30,
        help="chaos trials per fault rate (crash: 2/3 of this) [30]",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    crash_trials = max(1, args.trials * 2 // 3)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="smsync-chaos-") as tmp:
        base = Path(tmp)
        for i in range(3):
            rows.append(run_chaos(i, args.trials, base))
        for broadcast in (False, True):
            rows.append(run_crash(broadcast, crash_trials, base))
    if args.json:
        print(json.dumps([{**r.__dict__, "ok": r.ok} for r in rows], indent=2))
    else:
        print(table(rows))
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
