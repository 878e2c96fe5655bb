#!/usr/bin/env python3
"""What broadcasts with a lifecycle add to a plan: 100k contacts, 20 broadcasts.

    .venv/bin/python benchmarks/lifecycle.py                  # 100k contacts, the table
    .venv/bin/python benchmarks/lifecycle.py --json           # the same, one JSON object
    .venv/bin/python benchmarks/lifecycle.py --contacts 2000 --groups 40 --runs 1   # smoke size

The promise measured: planning N contacts with 20 broadcasts (10 complete, 5 recurring, 5
ongoing) adds no request for the complete broadcasts, and less than 0.5 s of CPU over the same
plan without broadcasts.

The setup, as a repository that kept its broadcasts would look on a daily run (Monday 15 June
2026, 10:00 WIB):

* the sandbox runs in its own spawned process (its CPU is not smsync's), holding N contacts in
  G groups, each with a birth date; the spec declares every one of them as it is (the phonebook
  plan has no change, so what differs between the plans is the broadcasts alone);
* 10 complete ``once`` broadcasts, each to one group, every member sent and the broadcast
  recorded complete (as apply records it);
* 5 ``ongoing`` welcome messages, each to one group, every member welcomed but 5 newcomers;
* 5 ``recurring`` ones: birthdays over the whole phonebook and over one group (those born on
  15 June are due), a weekly Monday report (due), a monthly one on the 15th (due) and one on the
  25th (not due).

Each plan is ``Session.plan()`` (the spec already loaded, as ``smsync plan`` has it) in a fresh
spawned process; CPU is that process's ``time.process_time()`` across the call, requests the
client's count. Plans without broadcasts, with the complete ones only, and with all 20 are
alternated ``--runs`` times; the table shows the median of each.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import multiprocessing as mp
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

USER = "bench"
PASSWORD = "bench-pass"  # a throwaway sandbox account
SPAWN = mp.get_context("spawn")
NOW = "2026-06-15T10:00:00+07:00"  # a Monday, the 15th
PAGE_SIZE = 1000
CPU_BUDGET_S = 0.5
COMPLETE, ONGOING, NEWCOMERS = 10, 5, 5
STAMP = "2026-01-01T00:00:00.000+00:00"


def mobile(i: int) -> str:
    return f"62812{i:08d}"


def e164(i: int) -> str:
    return "+" + mobile(i)


def birth(i: int) -> date:
    return date(1960 + i % 45, 1 + i % 12, 1 + (i // 12) % 28)


def group_name(g: int) -> str:
    return f"Grup {g:03d}"


def members(n: int, groups: int, g: int) -> list[int]:
    return list(range(g, n, groups))


# ---------------------------------------------------------------------------------------------
# the sandbox, in its own process


@dataclass(frozen=True)
class SandboxSpec:
    db_path: str
    contacts: int
    groups: int


def _sandbox_main(conn: Connection, spec: SandboxSpec) -> None:
    from smsync.sandbox import SandboxConfig, SandboxServer

    srv = SandboxServer(SandboxConfig(db_path=spec.db_path, max_page_size=PAGE_SIZE))
    srv.store.upsert_account(USER, PASSWORD, credit=10_000_000)
    srv.store.bulk_add_contacts(
        USER,
        ((f"Kontak {i:06d}", mobile(i), group_name(i % spec.groups)) for i in range(spec.contacts)),
    )
    with sqlite3.connect(spec.db_path) as db:  # seeded directly, before it serves
        db.execute("CREATE INDEX bench_mobile ON contacts(mobile)")  # (dropped below)
        db.executemany(
            "UPDATE contacts SET birth = ? WHERE mobile = ?",
            ((birth(i).isoformat(), mobile(i)) for i in range(spec.contacts)),
        )
        db.execute("DROP INDEX bench_mobile")
    srv.start()
    conn.send(srv.url)
    conn.recv()  # "stop"
    srv.stop()
    conn.send(None)


@contextmanager
def sandbox(spec: SandboxSpec) -> Iterator[str]:
    parent, child = SPAWN.Pipe()
    proc = SPAWN.Process(target=_sandbox_main, args=(child, spec), daemon=True)
    proc.start()
    try:
        yield str(parent.recv())
    finally:
        parent.send("stop")
        parent.recv()
        proc.join(10)


# ---------------------------------------------------------------------------------------------
# the project and its ledger


def broadcast_docs(groups: int) -> tuple[str, list[str]]:
    """The 20 broadcasts (YAML) and the names of the complete ones."""
    docs: list[dict[str, Any]] = []
    complete = [f"rapat-{k:02d}" for k in range(COMPLETE)]
    for k, name in enumerate(complete):
        docs.append(
            {
                "name": name,
                "audience": {"group": group_name(k)},
                "template": "Halo {{ name }}, rapat ke-" + str(k) + " hari Senin.",
            }
        )
    for k in range(ONGOING):
        docs.append(
            {
                "name": f"selamat-datang-{k}",
                "mode": "ongoing",
                "audience": {"group": group_name(COMPLETE + k)},
                "template": "Selamat datang, {{ name }}!",
            }
        )
    everyone = [group_name(g) for g in range(groups)]
    recurring = [
        ("ulang-tahun", {"on": "birth"}, {"contacts": {"groups": everyone}}),
        ("ulang-tahun-kantor", {"on": "birth"}, {"group": group_name(COMPLETE + ONGOING)}),
        ("laporan-mingguan", {"on": "weekly", "day": "monday"}, {"group": group_name(16)}),
        ("tagihan", {"on": "monthly", "day": 15}, {"group": group_name(17)}),
        ("gajian", {"on": "monthly", "day": 25}, {"group": group_name(18)}),
    ]
    for name, schedule, audience in recurring:
        docs.append(
            {
                "name": name,
                "mode": "recurring",
                "schedule": schedule,
                "audience": audience,
                "template": "Halo {{ name }}, {{ occurrence }}.",
            }
        )
    text = "".join(
        "---\n" + json.dumps({"kind": "Broadcast", **d}, ensure_ascii=False) + "\n" for d in docs
    )
    return text, complete


def write_project(root: Path, url: str, n: int, groups: int) -> list[str]:
    (root / "groups").mkdir(parents=True)
    (root / "broadcasts").mkdir()
    (root / "smsync.yaml").write_text(
        "version: 1\n"
        f"gateway:\n  endpoint: {url}\n  username: {USER}\n  page_size: {PAGE_SIZE}\n"
        "defaults:\n  region: ID\n"
        "spec: [groups/*.yaml, broadcasts/*.yaml]\n"
        "ledger: ledger.sqlite\n"
        f"safety:\n  max_recipients: {n}\n  max_total_segments: {n * 4}\n"
    )
    for g in range(groups):
        rows = "".join(
            f"Kontak {i:06d},0812{i:08d},{birth(i).isoformat()}\n" for i in members(n, groups, g)
        )
        (root / "groups" / f"g{g:03d}.csv").write_text("name,mobile,birth\n" + rows)
        (root / "groups" / f"g{g:03d}.yaml").write_text(
            f"kind: Group\nname: {group_name(g)}\ncontacts_file: g{g:03d}.csv\n"
        )
    text, complete = broadcast_docs(groups)
    (root / "broadcasts" / "all.yaml").write_text(text)
    seed_ledger(root / "ledger.sqlite", n, groups, complete)
    return complete


def seed_ledger(path: Path, n: int, groups: int, complete: list[str]) -> None:
    """What earlier applies left: the complete broadcasts sent and recorded complete, the
    welcome messages sent to all but the newest members."""
    from smsync.broadcast import Ledger

    rows: list[tuple[str, str, str, str, str, int]] = []
    with Ledger(path) as ledger:
        for k, name in enumerate(complete):
            numbers = [e164(i) for i in members(n, groups, k)]
            ledger.fix_audience(name, numbers)
            rows.extend(_sent(name, x) for x in numbers)
        for k in range(ONGOING):
            welcomed = members(n, groups, COMPLETE + k)[:-NEWCOMERS]
            rows.extend(_sent(f"selamat-datang-{k}", e164(i)) for i in welcomed)
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO sends (broadcast, number, kind, channel, fallback_from, trxid, attempt, "
            "state, msgid, error, body_sha256, body_len, segments, body, recipients, "
            "created_at, sent_at, updated_at) "
            "VALUES (?, ?, 'contact', 'sms', NULL, ?, 0, 'SENT', ?, NULL, ?, ?, 1, NULL, 1, "
            f"'{STAMP}', '{STAMP}', '{STAMP}')",
            rows,
        )
    with Ledger(path) as ledger:
        for k, name in enumerate(complete):
            ledger.mark_complete(name, len(members(n, groups, k)), 0)


def _sent(broadcast: str, number: str) -> tuple[str, str, str, str, str, int]:
    digest = hashlib.sha256(f"{broadcast}\x00{number}".encode()).hexdigest()
    return (broadcast, number, "sm" + digest[:48], "m" + digest[:12], digest, 40)


# ---------------------------------------------------------------------------------------------
# one plan, in its own process


def _plan_child(root: str, names: list[str] | None) -> dict[str, Any]:
    os.environ["SMSYNC_PASSWORD"] = PASSWORD
    os.environ["SMSYNC_NOW"] = NOW
    from smsync.manager import Manager

    manager = Manager(Path(root))
    manager.desired()
    gc.freeze()  # as `smsync plan` does once the spec is loaded
    with manager.session(pool_size=4) as session:
        c, t = time.process_time(), time.perf_counter()
        plan = session.plan(broadcasts=names)
        cpu, wall = time.process_time() - c, time.perf_counter() - t
        requests_made = session.client.request_count
    return {
        "cpu_s": cpu,
        "wall_s": wall,
        "requests": requests_made,
        "actions": len(plan.actions),
        "broadcast_plans": len(plan.broadcasts),
        "complete": sum(1 for b in plan.broadcasts if b.status == "complete"),
        "messages_to_send": plan.sends,
    }


def run_plan(root: Path, names: list[str] | None) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=1, mp_context=SPAWN) as pool:
        return pool.submit(_plan_child, str(root), names).result()


# ---------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="smsync-lifecycle-") as tmp:
        spec = SandboxSpec(str(Path(tmp) / "sandbox.sqlite"), args.contacts, args.groups)
        with sandbox(spec) as url:
            root = Path(tmp) / "project"
            complete = write_project(root, url, args.contacts, args.groups)
            variants: dict[str, list[str] | None] = {
                "none": [],
                "complete": complete,
                "all": None,
            }
            runs: dict[str, list[dict[str, Any]]] = {k: [] for k in variants}
            for _ in range(args.runs):
                for key, names in variants.items():
                    runs[key].append(run_plan(root, names))
    res: dict[str, Any] = {"contacts": args.contacts, "groups": args.groups, "runs": args.runs}
    for key, done in runs.items():
        res[f"cpu_s_{key}"] = statistics.median(r["cpu_s"] for r in done)
        res[f"wall_s_{key}"] = statistics.median(r["wall_s"] for r in done)
        res[f"requests_{key}"] = max(r["requests"] for r in done)
        res[f"actions_{key}"] = max(r["actions"] for r in done)
        res[f"broadcast_plans_{key}"] = done[0]["broadcast_plans"]
        res[f"complete_{key}"] = done[0]["complete"]
        res[f"messages_to_send_{key}"] = done[0]["messages_to_send"]
    res["complete_added_requests"] = res["requests_complete"] - res["requests_none"]
    res["complete_added_cpu_s"] = res["cpu_s_complete"] - res["cpu_s_none"]
    res["broadcasts_added_requests"] = res["requests_all"] - res["requests_none"]
    res["broadcasts_added_cpu_s"] = res["cpu_s_all"] - res["cpu_s_none"]
    res["cpu_budget_s"] = CPU_BUDGET_S
    res["ok"] = res["complete_added_requests"] == 0 and res["broadcasts_added_cpu_s"] < CPU_BUDGET_S
    return res


def table(res: dict[str, Any]) -> str:
    rows = [
        ("plan of the phonebook", "requests", "CPU s", "wall s", "messages to send"),
        ("without broadcasts", *_cells(res, "none")),
        (f"with the {COMPLETE} complete only", *_cells(res, "complete")),
        ("with all 20 broadcasts", *_cells(res, "all")),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        " | ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    verdict = [
        f"{res['contacts']:,} contacts in {res['groups']} groups, median of {res['runs']} run(s)",
        f"complete broadcasts add {res['complete_added_requests']} request(s) (must be 0) and "
        f"{res['complete_added_cpu_s']:+.3f} s CPU",
        f"all 20 broadcasts add {res['broadcasts_added_requests']} request(s) (the balance, for "
        f"the sends) and {res['broadcasts_added_cpu_s']:+.3f} s CPU "
        f"(must be < {CPU_BUDGET_S} s): {'ok' if res['ok'] else 'OVER'}",
    ]
    return "\n".join([*lines, "", *verdict])


def _cells(res: dict[str, Any], key: str) -> tuple[str, str, str, str]:
    return (
        str(res[f"requests_{key}"]),
        f"{res[f'cpu_s_{key}']:.3f}",
        f"{res[f'wall_s_{key}']:.3f}",
        str(res[f"messages_to_send_{key}"]),
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--contacts", type=int, default=100_000)
    p.add_argument("--groups", type=int, default=100, help="at least 20")
    p.add_argument("--runs", type=int, default=3, help="plans of each kind (median shown)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = p.parse_args(argv)
    if args.groups < 20 or args.contacts < args.groups * (NEWCOMERS + 1) or args.runs < 1:
        p.error("needs --groups >= 20, --contacts >= 6 per group, --runs >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    res = run(args)
    print(json.dumps(res, indent=2) if args.json else table(res))
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
