#!/usr/bin/env python3
"""smsync benchmark: plan, apply and broadcast against a sandbox with injected latency.

    python benchmarks/run.py                 # full run: 10k/100k plan, 1,000 changes, 10k sends
    python benchmarks/run.py --json          # the same, one JSON object on stdout
    python benchmarks/run.py --quick --json  # tiny sizes, seconds (CI smoke run)

Every sandbox runs in its own process (``SandboxServer`` in a spawned child, seeded directly
through its store before it starts serving), so its CPU is not smsync's and no GIL is shared.
Each plan runs in a fresh child process too, so its peak RSS (``ru_maxrss``) is its own.

What is measured, and against what:

* plan: ``Session.plan()`` (spec already loaded; its load time is shown apart) over N remote
  contacts, all in declared groups, 1 % renamed in the spec. The floor replays exactly the
  pages the plan read (same methods, pages, page size), with the same dependency structure
  (one listing's pages one after the other, listings in parallel at the same concurrency), with
  plain ``requests`` and no parsing. ``plan_floor_ratio`` = plan wall / floor wall.
* apply: ``Session.apply()`` of 1,000 actions (adds, edits, deletes), including apply's own
  freshness re-read, vs. a sequential loop of ``requests.get`` sending the same writes.
* broadcast: ``plan_broadcasts`` + ``send_broadcasts`` to N recipients (one trxid each, file
  ledger), vs. a sequential ``requests.get`` sendSMS loop. The sequential loop is timed on a
  sample (``--sequential-sample``) and its steady rate extrapolated; ``--full-sequential`` times
  it whole.
* broadcast planning: CPU (``time.process_time``) of ``plan_broadcasts`` for one templated
  per-contact broadcast to 100,000 declared contacts, in a fresh process: every message
  rendered, its segments counted, its trxid derived, the totals and shares tallied.
* sandbox capacity: requests per second the sandbox serves with no latency, from separate load
  processes on keep-alive connections (a lower bound: the load shares the same cores).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import http.client
import json
import multiprocessing as mp
import os
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

USER = "bench"
PASSWORD = "bench-pass"  # a throwaway sandbox account
API = "web2sms/api"
SPAWN = mp.get_context("spawn")


# ---------------------------------------------------------------------------------------------
# data


def mobile(i: int) -> str:
    """The i-th test number in the gateway's form (valid Indonesian mobile: 0812-xxxx-xxxx)."""
    return f"62812{i:08d}"


def national(i: int) -> str:
    return f"0812{i:08d}"


def group_name(g: int) -> str:
    return f"Grup {g:03d}"


def remote_rows(n: int, groups: int, start: int = 0) -> list[tuple[str, str, str]]:
    """(name, mobile, group) of n contacts spread round-robin over ``groups`` groups."""
    return [(f"Kontak {i:06d}", mobile(i), group_name(i % groups)) for i in range(start, start + n)]


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


# ---------------------------------------------------------------------------------------------
# the sandbox, in its own process


@dataclass(frozen=True)
class SandboxSpec:
    db_path: str
    latency_ms: int
    max_page_size: int
    contacts: int = 0
    groups: int = 1
    credit: int = 10_000_000


def _sandbox_main(conn: Connection, spec: SandboxSpec) -> None:
    from smsync.sandbox import SandboxConfig, SandboxServer

    cfg = SandboxConfig(
        db_path=spec.db_path, latency_ms=spec.latency_ms, max_page_size=spec.max_page_size
    )
    srv = SandboxServer(cfg)
    srv.store.upsert_account(USER, PASSWORD, credit=spec.credit)
    if spec.contacts:
        srv.store.bulk_add_contacts(USER, remote_rows(spec.contacts, spec.groups))
    srv.start()
    conn.send(srv.url)
    while True:
        cmd = conn.recv()
        if cmd == "stats":
            conn.send(srv.stats())
        elif cmd == "stop":
            srv.stop()
            conn.send(None)
            return


class Sandbox:
    def __init__(self, spec: SandboxSpec) -> None:
        self.spec = spec
        self._conn, child = SPAWN.Pipe()
        self._proc = SPAWN.Process(target=_sandbox_main, args=(child, spec), daemon=True)
        self._proc.start()
        self.url: str = self._conn.recv()

    def requests(self) -> int:
        self._conn.send("stats")
        return int(self._conn.recv()["requests"])

    def stop(self) -> None:
        self._conn.send("stop")
        self._conn.recv()
        self._proc.join(10)


@contextmanager
def sandbox(spec: SandboxSpec) -> Iterator[Sandbox]:
    box = Sandbox(spec)
    try:
        yield box
    finally:
        box.stop()


def count_duplicates(db_path: str) -> dict[str, int]:
    """Messages the sandbox recorded twice: same trxid, or same (mobile, text)."""
    db = sqlite3.connect(db_path)
    try:
        (same_trxid,) = db.execute(
            "SELECT COALESCE(SUM(c - 1), 0) FROM (SELECT COUNT(*) c FROM messages "
            "WHERE trxid IS NOT NULL GROUP BY account, trxid HAVING c > 1)"
        ).fetchone()
        (same_text,) = db.execute(
            "SELECT COALESCE(SUM(c - 1), 0) FROM (SELECT COUNT(*) c FROM messages "
            "GROUP BY account, mobile, text HAVING c > 1)"
        ).fetchone()
        (total,) = db.execute("SELECT COUNT(*) FROM messages").fetchone()
    finally:
        db.close()
    return {
        "same_trxid": int(same_trxid),
        "same_mobile_text": int(same_text),
        "messages": int(total),
    }


# ---------------------------------------------------------------------------------------------
# projects on disk


def write_project(
    root: Path,
    url: str,
    page_size: int,
    groups: dict[str, list[tuple[str, str]]],
    extra_docs: str = "",
) -> None:
    (root / "groups").mkdir(parents=True)
    (root / "smsync.yaml").write_text(
        "version: 1\n"
        f"gateway:\n  endpoint: {url}\n  username: {USER}\n  page_size: {page_size}\n"
        "defaults:\n  region: ID\n"
    )
    for i, (name, contacts) in enumerate(groups.items()):
        csv = root / "groups" / f"g{i:03d}.csv"
        csv.write_text("name,mobile\n" + "".join(f"{n},{m}\n" for n, m in contacts))
        (root / "groups" / f"g{i:03d}.yaml").write_text(
            f"kind: Group\nname: {name}\ncontacts_file: {csv.name}\n"
        )
    if extra_docs:
        (root / "extra.yaml").write_text(extra_docs)


def _write_plan_project(root: str, url: str, page_size: int, n: int, groups: int) -> None:
    write_project(Path(root), url, page_size, plan_spec(n, groups))


def write_plan_project(root: Path, url: str, page_size: int, n: int, groups: int) -> None:
    """The plan project of n contacts, written by a spawned child: building a million rows
    here would raise this process's peak RSS, which every process it starts inherits (Linux
    keeps ru_maxrss across exec), and the plan and floor figures would show it, not theirs."""
    with ProcessPoolExecutor(max_workers=1, mp_context=SPAWN) as pool:
        pool.submit(_write_plan_project, str(root), url, page_size, n, groups).result()


def plan_spec(n: int, groups: int) -> dict[str, list[tuple[str, str]]]:
    """The spec for ``remote_rows(n, groups)``: every contact declared, 1 % renamed."""
    out: dict[str, list[tuple[str, str]]] = {group_name(g): [] for g in range(groups)}
    for name, _mobile, group in remote_rows(n, groups):
        i = int(name.split()[1])
        out[group].append((name + " baru" if i % 100 == 0 else name, national(i)))
    return out


# ---------------------------------------------------------------------------------------------
# plan (in a child process) and its floor


def _plan_child(root: str, concurrency: int, strategy: str | None) -> dict[str, Any]:
    os.environ["SMSYNC_PASSWORD"] = PASSWORD
    import smsync.plan.planner as planner
    from smsync.manager import Manager
    from smsync.plan.planner import PlanOptions

    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    manager = Manager(Path(root))
    manager.desired()
    gc.freeze()  # as `smsync plan` does once the spec is loaded (smsync.cli.plan.freeze_spec)
    spec_load_s = time.perf_counter() - t

    diff_cpu = [0.0]
    real_diff = planner.diff

    def timed_diff(*args: Any, **kwargs: Any) -> Any:
        c = time.process_time()
        try:
            return real_diff(*args, **kwargs)
        finally:
            diff_cpu[0] += time.process_time() - c

    planner.diff = timed_diff  # type: ignore[assignment]
    with manager.session(pool_size=max(concurrency, 4)) as session:
        t, c = time.perf_counter(), time.process_time()
        plan = session.plan(PlanOptions(concurrency=concurrency, strategy=strategy))
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        requests_made = session.client.request_count
    read = plan.read
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "diff_cpu_s": diff_cpu[0],
        "spec_load_s": spec_load_s,
        "requests": requests_made,
        "read_requests": read.requests,
        "min_requests": read.min_requests,
        "strategy": read.strategy,
        "contacts_read": read.contacts_read,
        "groups_read": read.groups_read,
        "actions": len(plan.actions),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_after_import_mb": rss_start,
    }


def run_plan_child(root: Path, concurrency: int, strategy: str | None) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=1, mp_context=SPAWN) as pool:
        return pool.submit(_plan_child, str(root), concurrency, strategy).result()


def _pages(rows: int, size: int) -> list[int]:
    return list(range(1, rows // size + 2))  # full pages, then one short (maybe empty) page


def floor_fetch(
    url: str, *, strategy: str, contacts: int, groups: int, page: int, concurrency: int
) -> dict[str, Any]:
    """Fetch the pages ``strategy`` reads, with plain requests, no parsing, same concurrency."""
    local = threading.local()
    count = [0]
    lock = threading.Lock()

    def get(method: str, params: dict[str, str]) -> None:
        s = getattr(local, "session", None)
        if s is None:
            s = local.session = requests.Session()
        q = {"username": USER, **params, "auth": md5(USER + PASSWORD)}
        r = s.get(f"{url}/{API}/{method}.aspx", params=q, timeout=30)
        r.raise_for_status()
        _ = r.content
        with lock:
            count[0] += 1

    def sequence(method: str, rows: int, extra: dict[str, str]) -> None:
        for p in _pages(rows, page):
            get(method, {**extra, "page": str(p), "size": str(page)})

    t = time.perf_counter()
    sequence("groupGetList", groups, {})
    if strategy == "list-all":
        sequence("phbkGetList", contacts, {})
        described = (
            f"groupGetList pages 1..{len(_pages(groups, page))}, then phbkGetList "
            f"pages 1..{len(_pages(contacts, page))} one after the other"
        )
    else:
        per_group = contacts // groups
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(
                pool.map(
                    lambda g: sequence("phbkGetListbyGroup", per_group, {"group": group_name(g)}),
                    range(groups),
                )
            )
        described = (
            f"groupGetList pages 1..{len(_pages(groups, page))}, then for each of "
            f"{groups} groups phbkGetListbyGroup pages 1..{len(_pages(per_group, page))}"
            f" in sequence, {concurrency} groups at a time"
        )
    return {"wall_s": time.perf_counter() - t, "requests": count[0], "pages": described}


def bench_plan(
    n: int, groups: int, args: argparse.Namespace, tmp: Path, strategy: str | None = None
) -> dict[str, Any]:
    db = str(tmp / f"plan-{n}-{strategy or 'auto'}.sqlite")
    spec = SandboxSpec(db, args.latency_ms, args.max_page_size, contacts=n, groups=groups)
    root = tmp / f"plan-{n}-{strategy or 'auto'}"
    with sandbox(spec) as box:
        write_plan_project(root, box.url, args.max_page_size, n, groups)
        result = run_plan_child(root, args.concurrency, strategy)
        floor = floor_fetch(
            box.url,
            strategy=result["strategy"],
            contacts=n,
            groups=groups,
            page=args.max_page_size,
            concurrency=args.concurrency,
        )
    result["floor_wall_s"] = floor["wall_s"]
    result["floor_requests"] = floor["requests"]
    result["floor_pages"] = floor["pages"]
    result["plan_floor_ratio"] = result["wall_s"] / floor["wall_s"]
    result["contacts"] = n
    return result


# ---------------------------------------------------------------------------------------------
# whole processes: what the user feels (start-up, imports, spec load, read, diff, print)

FLOOR_SCRIPT = Path(__file__).resolve().parent / "floor.py"
IMPORT_CONCURRENCY = 4  # smsync.importer reads with read_remote's default
# "Read 100 groups and 100000 contacts of managed groups in 1102 requests (strategy by-group:
# ...; minimum 1102)": what the plan says it read, checked against the floor's pages.
_READ_LINE = re.compile(r"in (\d+) requests? \(strategy ([\w-]+):.*; minimum (\d+)\)")


@dataclass(frozen=True)
class Run:
    wall_s: float
    rss_mb: float
    stdout: str
    stderr: str


def smsync_argv(*args: str) -> list[str]:
    """The ``smsync`` command as a user runs it: the installed script beside this interpreter."""
    script = Path(sys.executable).with_name("smsync")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "smsync", *args]


def run_process(argv: list[str], env: dict[str, str]) -> Run:
    """One fresh process: its wall time and its own peak RSS (``wait4``'s rusage, as
    ``/usr/bin/time`` reports it)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} exited {proc.returncode}: {stderr[-2000:]}")
    return Run(wall, usage.ru_maxrss / 1024, stdout, stderr)


def alternate(commands: dict[str, list[str]], env: dict[str, str], runs: int) -> dict[str, Any]:
    """Run each command ``runs`` times, alternating (the order flipped every round, so a drift in
    the machine's load falls on both); medians of wall and peak RSS, and the last output."""
    walls: dict[str, list[float]] = {k: [] for k in commands}
    rss: dict[str, list[float]] = {k: [] for k in commands}
    last: dict[str, str] = {}
    names = list(commands)
    for i in range(runs):
        for name in names if i % 2 == 0 else names[::-1]:
            r = run_process(commands[name], env)
            walls[name].append(r.wall_s)
            rss[name].append(r.rss_mb)
            last[name] = r.stdout
    out: dict[str, Any] = {}
    for name in names:
        out[f"{name}_wall_s"] = statistics.median(walls[name])
        out[f"{name}_walls_s"] = [round(w, 3) for w in walls[name]]
        out[f"{name}_rss_mb"] = statistics.median(rss[name])
        out[f"{name}_max_rss_mb"] = max(rss[name])
        out[f"{name}_stdout"] = last[name]
    return out


_LOGGED_GET = re.compile(r'"GET /web2sms/api/(\w+)\.aspx\?(\S*) HTTP')


def replayed_steps(stderr: str, concurrency: int) -> list[dict[str, Any]]:
    """The floor process's steps (see benchmarks/floor.py) for the requests a ``-vv`` run
    logged: the same pages of the same listings, in the same dependency order (one listing's
    pages in sequence; the by-group listings ``concurrency`` at a time, as smsync reads them)."""
    steps: list[dict[str, Any]] = []
    by_key: dict[str, list[Any]] = {}
    for method, query in _LOGGED_GET.findall(stderr):
        params = dict(parse_qsl(query))
        page = int(params.pop("page", "1"))
        for secret in ("username", "auth"):
            params.pop(secret, None)
        if not steps or steps[-1]["method"] != method:
            parallel = concurrency if method == "phbkGetListbyGroup" else 1
            steps.append({"method": method, "parallel": parallel, "sequences": []})
            by_key = {}
        key = json.dumps(params, sort_keys=True)
        if key in by_key and page > 1:
            by_key[key][2] = max(by_key[key][2], page)
        else:
            by_key[key] = [method, params, page]
            steps[-1]["sequences"].append(by_key[key])
    return steps


def floor_argv(url: str, steps: list[dict[str, Any]]) -> list[str]:
    return [sys.executable, str(FLOOR_SCRIPT), url, USER, json.dumps(steps)]


def bench_process(
    label: str,
    n: int,
    groups: int,
    args: argparse.Namespace,
    tmp: Path,
    *,
    extra: bool,
    runs: int,
) -> dict[str, Any]:
    """``smsync plan`` (and with ``extra``, ``validate`` and ``import``) of an n-contact project
    as fresh processes, each next to its floor process, alternated."""
    env = {**os.environ, "SMSYNC_PASSWORD": PASSWORD}
    env.pop("CI", None)
    db = str(tmp / f"process-{label}.sqlite")
    root = tmp / f"process-{label}"
    c, page = args.concurrency, args.max_page_size
    out: dict[str, Any] = {"contacts": n, "groups": groups, "runs": runs}
    spec = SandboxSpec(db, args.latency_ms, page, contacts=n, groups=groups)
    with sandbox(spec) as box:
        write_plan_project(root, box.url, page, n, groups)
        plan_argv = smsync_argv("plan", str(root), "--concurrency", str(c))
        # one unmeasured plan logging its requests: the sandbox's pages warm, and the floor's
        before = box.requests()
        first = run_process([plan_argv[0], "-vv", *plan_argv[1:]], env)
        out["requests"] = box.requests() - before
        read = _READ_LINE.search(first.stdout)
        if read is None:
            raise RuntimeError(f"no read line in the plan's output: {first.stdout[:500]}")
        out["reported_requests"], out["strategy"] = int(read.group(1)), read.group(2)
        out["min_requests"] = int(read.group(3))
        out["summary"] = first.stdout.strip().splitlines()[-1]
        out["plan_lines"] = first.stdout.count("\n")
        floor = floor_argv(box.url, replayed_steps(first.stderr, c))
        out["floor_requests"] = int(run_process(floor, env).stdout)
        out.update(alternate({"plan": plan_argv, "floor": floor}, env, runs))
        out["ratio"] = out["plan_wall_s"] / out["floor_wall_s"]
        if extra:
            validate = smsync_argv("validate", str(root))
            python = [sys.executable, "-c", "pass"]
            out.update(alternate({"validate": validate, "python": python}, env, runs))
            if args.import_runs:
                out.update(bench_import(box, label, args, tmp, env, n, groups))
    for key in [k for k in out if k.endswith("_stdout")]:
        del out[key]
    return out


def bench_import(
    box: Sandbox,
    label: str,
    args: argparse.Namespace,
    tmp: Path,
    env: dict[str, str],
    n: int,
    groups: int,
) -> dict[str, Any]:
    """``smsync import`` of the whole phonebook into a new project, next to the floor of the
    pages it reads (the group list twice: once for the names, once by the reader; then the
    listing its strategy chooses)."""
    runs = args.import_runs
    counter = iter(range(10_000))

    def fresh() -> list[str]:
        target = tmp / f"import-{label}-{next(counter)}"
        return smsync_argv("import", str(target), "--endpoint", box.url, "--username", USER)

    before = box.requests()
    argv = fresh()
    first = run_process([argv[0], "-vv", *argv[1:]], env)
    requests_made = box.requests() - before
    # the importer reads with the planner's reader at its default concurrency
    steps = replayed_steps(first.stderr, IMPORT_CONCURRENCY)
    out: dict[str, Any] = {
        "import_requests": requests_made,
        "import_runs": runs,
        "import_listings": "; ".join(
            f"{step['method']} x{len(step['sequences'])}" for step in steps
        ),
    }
    floor = floor_argv(box.url, steps)
    commands = {"import": [], "import_floor": floor}
    walls: dict[str, list[float]] = {"import": [], "import_floor": []}
    rss: list[float] = []
    for i in range(runs):
        for name in ("import", "import_floor") if i % 2 == 0 else ("import_floor", "import"):
            r = run_process(fresh() if name == "import" else commands[name], env)
            walls[name].append(r.wall_s)
            if name == "import":
                rss.append(r.rss_mb)
    out["import_wall_s"] = statistics.median(walls["import"])
    out["import_floor_wall_s"] = statistics.median(walls["import_floor"])
    out["import_walls_s"] = [round(w, 3) for w in walls["import"]]
    out["import_floor_walls_s"] = [round(w, 3) for w in walls["import_floor"]]
    out["import_rss_mb"] = statistics.median(rss)
    out["import_ratio"] = out["import_wall_s"] / out["import_floor_wall_s"]
    return out


# ---------------------------------------------------------------------------------------------
# apply


def apply_spec(remote: int, groups: int, changes: int) -> dict[str, list[tuple[str, str]]]:
    """``changes`` actions on ``remote`` contacts: 50 % adds, 40 % edits, 10 % deletes."""
    adds, edits = changes // 2, changes * 4 // 10
    deletes = changes - adds - edits
    out: dict[str, list[tuple[str, str]]] = {group_name(g): [] for g in range(groups)}
    for idx, (name, _m, group) in enumerate(remote_rows(remote, groups)):
        if idx < deletes:
            continue  # dropped from the spec: deleted
        renamed = deletes <= idx < deletes + edits
        out[group].append((name + " baru" if renamed else name, national(idx)))
    for j, (name, _m, group) in enumerate(remote_rows(adds, groups, start=remote)):
        out[group].append((name, national(remote + j)))
    return out


def sequential_writes(url: str, plan: Any) -> tuple[float, int]:
    """The plan's writes as the public clients send them: requests.get, one at a time."""
    base = f"{url}/{API}"
    t = time.perf_counter()
    for a in plan.actions:
        op = a.op.value
        if op == "add_contact":
            r = a.after
            q = {
                "username": USER,
                "name": r.name,
                "mobile": r.mobile,
                "group": r.group,
                "auth": md5(r.mobile + PASSWORD),
            }
            resp = requests.get(f"{base}/phbkAdd.aspx", params=q, timeout=30)
        elif op in ("edit_contact", "move_contact"):
            r = a.after
            q = {
                "id": str(a.id),
                "username": USER,
                "name": r.name,
                "mobile": r.mobile,
                "group": r.group,
                "address": r.address or "",
                "desc": r.desc or "",
                "auth": md5(str(a.id) + PASSWORD),
            }
            resp = requests.get(f"{base}/phbkEdit.aspx", params=q, timeout=30)
        elif op == "delete_contact":
            q = {"id": str(a.id), "username": USER, "auth": md5(str(a.id) + PASSWORD)}
            resp = requests.get(f"{base}/phbkDelete.aspx", params=q, timeout=30)
        else:
            raise AssertionError(op)
        if not resp.text.startswith("1701"):
            raise RuntimeError(f"sequential {op} failed: {resp.text[:40]}")
    return time.perf_counter() - t, len(plan.actions)


def bench_apply(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    os.environ["SMSYNC_PASSWORD"] = PASSWORD
    from smsync.manager import Manager
    from smsync.plan.planner import PlanOptions

    remote, groups, changes = args.apply_remote, args.apply_groups, args.apply_changes
    c = args.concurrency
    out: dict[str, Any] = {
        "apply_changes": changes,
        "apply_remote_contacts": remote,
        "apply_concurrency": c,
    }
    spec = SandboxSpec(
        str(tmp / "apply.sqlite"),
        args.latency_ms,
        args.max_page_size,
        contacts=remote,
        groups=groups,
    )
    root = tmp / "apply"
    with sandbox(spec) as box:
        write_project(root, box.url, args.max_page_size, apply_spec(remote, groups, changes))
        manager = Manager(root)
        with manager.session(pool_size=max(c, 4)) as session:
            plan = session.plan(PlanOptions(concurrency=c))
            if len(plan.actions) != changes:
                raise RuntimeError(f"apply plan has {len(plan.actions)} actions, not {changes}")
            before = box.requests()
            t = time.perf_counter()
            result = session.apply(plan, concurrency=c).phonebook
            out["apply_wall_s"] = time.perf_counter() - t
            out["apply_requests"] = box.requests() - before
            out["failed_actions"] = result.count("failed") + result.count("skipped")
            again = session.plan(PlanOptions(concurrency=c))
            out["apply_converged"] = not again.has_changes
    out["apply_actions_per_s"] = changes / out["apply_wall_s"]

    spec_seq = SandboxSpec(
        str(tmp / "apply-seq.sqlite"),
        args.latency_ms,
        args.max_page_size,
        contacts=remote,
        groups=groups,
    )
    with sandbox(spec_seq) as box:
        wall, n = sequential_writes(box.url, plan)
    out["apply_seq_wall_s"] = wall
    out["apply_seq_actions_per_s"] = n / wall
    out["apply_speedup"] = wall / out["apply_wall_s"]
    return out


# ---------------------------------------------------------------------------------------------
# broadcast


TEMPLATE = "Halo {{ name }}, kode promo Anda {{ kode }}. Berlaku s.d. akhir bulan."


def render(name: str) -> str:
    return f"Halo {name}, kode promo Anda LEBARAN25. Berlaku s.d. akhir bulan."


def broadcast_doc(groups: int, n: int) -> str:
    names = ", ".join(f'"{group_name(g)}"' for g in range(groups))
    return (
        "kind: Broadcast\nname: bench-promo\n"
        f"audience:\n  contacts:\n    groups: [{names}]\n"
        f'template: "{TEMPLATE}"\nvars: {{kode: LEBARAN25}}\n'
        f"max_recipients: {n}\nmax_total_segments: {n * 2}\n"
    )


def sequential_sends(url: str, n: int) -> tuple[float, int]:
    base = f"{url}/{API}/sendSMS.aspx"
    t = time.perf_counter()
    for i in range(n):
        m = mobile(i)
        q = {
            "username": USER,
            "mobile": m,
            "message": render(f"Kontak {i:06d}"),
            "auth": md5(USER + PASSWORD + m),
            "trxid": f"seq-{i}",
            "type": "0",
        }
        resp = requests.get(base, params=q, timeout=30)
        if not resp.text.startswith("1701"):
            raise RuntimeError(f"sequential send failed: {resp.text[:40]}")
    return time.perf_counter() - t, n


def bench_broadcast(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    os.environ["SMSYNC_PASSWORD"] = PASSWORD
    from smsync.broadcast import Ledger, plan_broadcasts, send_broadcasts
    from smsync.manager import Manager

    n, groups, c = args.broadcast, args.broadcast_groups, args.concurrency
    out: dict[str, Any] = {"broadcast_messages": n, "broadcast_concurrency": c}
    db = str(tmp / "broadcast.sqlite")
    root = tmp / "broadcast"
    spec = {group_name(g): [] for g in range(groups)}  # type: dict[str, list[tuple[str, str]]]
    for name, _m, group in remote_rows(n, groups):
        spec[group].append((name, national(int(name.split()[1]))))
    with sandbox(SandboxSpec(db, args.latency_ms, args.max_page_size)) as box:
        write_project(root, box.url, args.max_page_size, spec, broadcast_doc(groups, n))
        manager = Manager(root)
        project = manager.project
        with manager.session(pool_size=max(c, 4)) as session, Ledger(project.ledger_path) as ledger:
            t = time.perf_counter()
            plans = plan_broadcasts(
                manager.desired(), project, ledger=ledger, suppression=frozenset()
            )
            before = box.requests()
            t_send = time.perf_counter()
            report = send_broadcasts(session.client, plans, ledger, concurrency=c)
            end = time.perf_counter()
            out["broadcast_wall_s"] = end - t
            out["broadcast_send_wall_s"] = end - t_send
            out["broadcast_requests"] = box.requests() - before
            out["broadcast_sent"] = report.sent
            out["broadcast_failed"] = report.failed + report.unknown
            # A second run must send nothing: the ledger knows every message went out.
            again = send_broadcasts(
                session.client,
                plan_broadcasts(manager.desired(), project, ledger=ledger, suppression=frozenset()),
                ledger,
                concurrency=c,
            )
            out["broadcast_rerun_sent"] = again.sent
    dups = count_duplicates(db)
    out["duplicates"] = dups["same_trxid"] + dups["same_mobile_text"]
    out["duplicates_detail"] = dups
    out["broadcast_msgs_per_s"] = n / out["broadcast_wall_s"]

    sample = n if args.full_sequential else min(n, args.sequential_sample)
    with sandbox(
        SandboxSpec(str(tmp / "broadcast-seq.sqlite"), args.latency_ms, args.max_page_size)
    ) as box:
        wall, sent = sequential_sends(box.url, sample)
    out["broadcast_seq_sample"] = sent
    out["broadcast_seq_msgs_per_s"] = sent / wall
    out["broadcast_seq_wall_s_est"] = n / out["broadcast_seq_msgs_per_s"]
    out["broadcast_speedup"] = out["broadcast_msgs_per_s"] / out["broadcast_seq_msgs_per_s"]
    return out


# ---------------------------------------------------------------------------------------------
# broadcast planning (CPU): rendering, segments, trxids and totals of per-contact messages

#: The planning makes no request (every audience group is declared): nothing listens here.
NO_GATEWAY = "http://127.0.0.1:9"


def broadcast_plan_spec(n: int, groups: int) -> dict[str, list[tuple[str, str]]]:
    """``n`` declared contacts in ``groups`` groups, each messaged by name."""
    out: dict[str, list[tuple[str, str]]] = {group_name(g): [] for g in range(groups)}
    for name, _mobile, group in remote_rows(n, groups):
        out[group].append((name, national(int(name.split()[1]))))
    return out


def _write_broadcast_plan_project(root: str, n: int, groups: int) -> None:
    spec = broadcast_plan_spec(n, groups)
    write_project(Path(root), NO_GATEWAY, 100, spec, broadcast_doc(groups, n))


def _broadcast_plan_child(root: str) -> dict[str, Any]:
    os.environ["SMSYNC_PASSWORD"] = PASSWORD
    from smsync.broadcast import Ledger, plan_broadcasts
    from smsync.manager import Manager

    manager = Manager(Path(root))
    desired = manager.desired()
    gc.freeze()  # as `smsync plan` does once the spec is loaded
    with Ledger(manager.project.ledger_path) as ledger:
        t, c = time.perf_counter(), time.process_time()
        (plan,) = plan_broadcasts(desired, manager.project, ledger=ledger)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
    return {
        "cpu_s": cpu,
        "wall_s": wall,
        "messages": plan.totals.to_send,
        "segments": plan.totals.segments,
        "encoding": plan.encoding,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def bench_broadcast_plan(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """``plan_broadcasts`` of one broadcast to N declared contacts (a Jinja template with the
    contact's name and a broadcast variable): CPU of the call in a fresh process, the spec
    loaded before it (written, then planned, each by a spawned child)."""
    n, groups = args.broadcast_plan, args.broadcast_plan_groups
    root = tmp / "broadcast-plan"
    with ProcessPoolExecutor(max_workers=1, mp_context=SPAWN) as pool:
        pool.submit(_write_broadcast_plan_project, str(root), n, groups).result()
    with ProcessPoolExecutor(max_workers=1, mp_context=SPAWN) as pool:
        result = pool.submit(_broadcast_plan_child, str(root)).result()
    if result["messages"] != n:
        raise RuntimeError(f"broadcast plan has {result['messages']} messages, not {n}")
    result["groups"] = groups
    return result


# ---------------------------------------------------------------------------------------------
# sandbox capacity


def _load_worker(url: str, path_query: str, seconds: float, threads: int) -> int:
    host_port = urlsplit(url).netloc
    stop_at = time.monotonic() + seconds
    counts = [0] * threads

    def loop(k: int) -> None:
        conn = http.client.HTTPConnection(host_port, timeout=30)
        i = 0
        while time.monotonic() < stop_at:
            conn.request("GET", path_query.replace("{i}", f"{k}-{i}"))
            resp = conn.getresponse()
            resp.read()
            i += 1
        counts[k] = i
        conn.close()

    workers = [threading.Thread(target=loop, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(counts)


def bench_capacity(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Requests per second with no latency, from 2 load processes x 4 keep-alive connections."""
    out: dict[str, Any] = {}
    m = mobile(0)
    kinds = {
        "read": f"/{API}/creditsleft.aspx?"
        + urlencode({"username": USER, "auth": md5(USER + PASSWORD)}),
        "send": f"/{API}/sendSMS.aspx?"
        + urlencode(
            {
                "username": USER,
                "mobile": m,
                "message": "Halo",
                "auth": md5(USER + PASSWORD + m),
                "type": "0",
            }
        )
        + "&trxid=cap-{i}",
        "list": f"/{API}/phbkGetList.aspx?"
        + urlencode(
            {
                "username": USER,
                "auth": md5(USER + PASSWORD),
                "page": "1",
                "size": str(args.max_page_size),
            }
        ),
    }
    spec = SandboxSpec(
        str(tmp / "capacity.sqlite"), 0, args.max_page_size, contacts=args.max_page_size, groups=1
    )
    with sandbox(spec) as box, ProcessPoolExecutor(max_workers=2, mp_context=SPAWN) as pool:
        for kind, pq in kinds.items():
            t = time.perf_counter()
            futures = [
                pool.submit(_load_worker, box.url, pq, args.capacity_seconds, 4) for _ in range(2)
            ]
            total = sum(f.result() for f in futures)
            out[f"sandbox_rps_{kind}"] = total / (time.perf_counter() - t)
    out["sandbox_rps"] = min(out["sandbox_rps_read"], out["sandbox_rps_send"])
    return out


# ---------------------------------------------------------------------------------------------
# report


def sizes(args: argparse.Namespace) -> dict[str, int]:
    return {"10k": args.plan_small, "100k": args.plan_large}


def process_sizes(args: argparse.Namespace) -> list[tuple[str, int, int, bool, int]]:
    """(label, contacts, groups, with validate and import, runs) of the whole-process runs."""
    out = [
        ("10k", args.plan_small, args.plan_groups, False, args.process_runs),
        ("100k", args.plan_large, args.plan_groups, True, args.process_runs),
    ]
    if args.million:
        out.append(("1M", args.plan_million, args.million_groups, False, args.million_runs))
    return out


def byte_compile_smsync() -> None:
    """Byte-compile the smsync package, as ``pip install`` does for an installed one.

    An editable checkout has no ``.pyc`` files until Python writes them, and it never does
    where ``PYTHONDONTWRITEBYTECODE`` is set (as on the machine the README's figures come
    from): every process would then compile smsync's sources, about 0.2 s, which no user of an
    installed smsync pays. (The floor's ``requests`` is compiled in site-packages already.)"""
    import compileall

    import smsync

    compileall.compile_dir(str(Path(smsync.__file__).parent), quiet=1)


def run(args: argparse.Namespace) -> dict[str, Any]:
    byte_compile_smsync()
    res: dict[str, Any] = {
        "quick": args.quick,
        "latency_ms": args.latency_ms,
        "max_page_size": args.max_page_size,
        "concurrency": args.concurrency,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_before": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory(prefix="smsync-bench-") as t:
        tmp = Path(t)
        log = (
            (lambda msg: print(msg, file=sys.stderr, flush=True))
            if args.verbose
            else (lambda msg: None)
        )
        for label, n, groups, extra, runs in process_sizes(args):
            log(f"whole process {label} ({n}) ...")
            res[f"process_{label}"] = bench_process(
                label, n, groups, args, tmp, extra=extra, runs=runs
            )
        if args.process_only:
            return res
        log("capacity ...")
        res.update(bench_capacity(args, tmp))
        for label, n in sizes(args).items():
            log(f"plan {label} ({n}) ...")
            r = bench_plan(n, args.plan_groups, args, tmp)
            res[f"plan_{label}"] = r
            res[f"plan_contacts_{label}"] = n
            res[f"plan_wall_s_{label}"] = r["wall_s"]
            res[f"plan_floor_s_{label}"] = r["floor_wall_s"]
            res[f"plan_floor_ratio_{label}"] = r["plan_floor_ratio"]
            res[f"diff_cpu_s_{label}"] = r["diff_cpu_s"]
            res[f"peak_rss_mb_{label}"] = r["peak_rss_mb"]
            res[f"plan_requests_{label}"] = r["requests"]
            res[f"plan_min_requests_{label}"] = r["min_requests"]
            res[f"plan_strategy_{label}"] = r["strategy"]
        for strategy in args.compare_strategies:
            log(f"plan 100k forced {strategy} ...")
            r = bench_plan(args.plan_large, args.plan_groups, args, tmp, strategy=strategy)
            res[f"plan_100k_{strategy}"] = r
        log("apply ...")
        res.update(bench_apply(args, tmp))
        log("broadcast ...")
        res.update(bench_broadcast(args, tmp))
        log(f"broadcast planning ({args.broadcast_plan}) ...")
        res["broadcast_plan"] = bench_broadcast_plan(args, tmp)
        res["broadcast_plan_cpu_s"] = res["broadcast_plan"]["cpu_s"]
    res["failed_actions"] = res["failed_actions"] + res["broadcast_failed"]
    return res


class AddRow(Protocol):
    def __call__(self, what: str, value: str, target: str = "") -> None: ...


def process_rows(res: dict[str, Any], add: AddRow) -> None:
    """The whole-process rows: medians of fresh processes, each next to its floor process."""
    for key in ("process_10k", "process_100k", "process_1M"):
        if key not in res:
            continue
        r = res[key]
        n, runs = r["contacts"], r["runs"]
        add(
            f"`smsync plan` {n:,} contacts ({r['groups']} groups), whole process",
            f"{r['plan_wall_s']:.2f} s, peak RSS {r['plan_rss_mb']:.0f} MB "
            f"(median of {runs}; {r['plan_lines']} lines printed)",
            "< 1 GB" if n >= 1_000_000 else "",
        )
        add(
            "  floor process (same pages, plain requests)",
            f"{r['floor_wall_s']:.2f} s, {r['floor_requests']} requests, peak RSS "
            f"{r['floor_rss_mb']:.0f} MB",
        )
        target = "<= 1.5x" if n < 50_000 else "<= 1.3x"
        add("  plan / floor", f"{r['ratio']:.2f}x", target)
        add(
            "  requests / strategy minimum",
            f"{r['requests']} / {r['min_requests']} ({r['strategy']})",
            "<= minimum",
        )
        if "validate_wall_s" in r:
            add(
                f"`smsync validate` {n:,} contacts",
                f"{r['validate_wall_s']:.2f} s, peak RSS {r['validate_rss_mb']:.0f} MB "
                f"(python -c pass: {r['python_wall_s']:.2f} s)",
                "< 0.5 s",
            )
        if "import_wall_s" in r:
            add(
                f"`smsync import` {n:,} contacts",
                f"{r['import_wall_s']:.2f} s, {r['import_requests']} requests "
                f"({r['import_listings']}), peak RSS {r['import_rss_mb']:.0f} MB "
                f"(median of {r['import_runs']})",
            )
            add("  floor process (same pages)", f"{r['import_floor_wall_s']:.2f} s")
            add("  import / floor", f"{r['import_ratio']:.2f}x", "<= 1.3x")


def table(res: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str]] = []

    def add(what: str, value: str, target: str = "") -> None:
        rows.append((what, value, target))

    lat, page, c = res["latency_ms"], res["max_page_size"], res["concurrency"]
    add(
        "setup",
        f"latency {lat} ms/request, max page {page}, concurrency {c}, "
        f"{res['cpus']} CPUs, Python {res['python']}, load {res['load_before']:.2f} at start",
    )
    process_rows(res, add)
    if "sandbox_rps" in res:
        in_process_rows(res, add)
    return _markdown(rows)


def in_process_rows(res: dict[str, Any], add: AddRow) -> None:
    page = res["max_page_size"]
    add(
        "sandbox capacity (no latency)",
        f"{res['sandbox_rps_read']:.0f} req/s read, {res['sandbox_rps_send']:.0f} req/s "
        f"sendSMS, {res['sandbox_rps_list']:.0f} req/s {page}-row page",
        "not the bottleneck",
    )
    for label in ("10k", "100k"):
        r = res[f"plan_{label}"]
        n = r["contacts"]
        add(
            f"plan {n:,} contacts in process (`Session.plan()`): wall",
            f"{r['wall_s']:.2f} s (spec load {r['spec_load_s']:.2f} s apart)",
        )
        add(
            "  requests / strategy minimum",
            f"{r['requests']} / {r['min_requests']} ({r['strategy']})",
            "<= minimum",
        )
        add(
            "  floor (same pages, plain requests)",
            f"{r['floor_wall_s']:.2f} s, {r['floor_requests']} requests: {r['floor_pages']}",
        )
        add("  plan / floor", f"{r['plan_floor_ratio']:.2f}x", "<= 1.3x")
        add("  diff CPU", f"{r['diff_cpu_s']:.3f} s", "< 1 s (100k)")
        add(
            "  peak RSS (plan process)",
            f"{r['peak_rss_mb']:.0f} MB (interpreter + imports {r['rss_after_import_mb']:.0f} MB)",
            "< 300 MB (100k)",
        )
    for key in sorted(k for k in res if k.startswith("plan_100k_")):
        r = res[key]
        add(
            f"plan 100k, strategy forced to {r['strategy']}",
            f"{r['wall_s']:.2f} s, {r['requests']} requests (min {r['min_requests']}), floor "
            f"{r['floor_wall_s']:.2f} s, ratio {r['plan_floor_ratio']:.2f}x",
        )
    add(
        f"apply {res['apply_changes']:,} changes (c={res['apply_concurrency']})",
        f"{res['apply_wall_s']:.2f} s, {res['apply_requests']} requests (incl. freshness "
        f"re-read), {res['apply_actions_per_s']:.0f} actions/s",
    )
    add(
        "  sequential requests.get client",
        f"{res['apply_seq_wall_s']:.2f} s, {res['apply_seq_actions_per_s']:.0f} actions/s",
    )
    add("  speed-up", f"{res['apply_speedup']:.1f}x", ">= 10x")
    add(
        f"broadcast {res['broadcast_messages']:,} messages (c={res['broadcast_concurrency']})",
        f"{res['broadcast_wall_s']:.2f} s incl. planning, {res['broadcast_requests']} requests, "
        f"{res['broadcast_msgs_per_s']:.0f} msg/s",
    )
    add(
        "  sequential requests.get client",
        f"{res['broadcast_seq_msgs_per_s']:.0f} msg/s (timed on {res['broadcast_seq_sample']:,}"
        f" messages; {res['broadcast_seq_wall_s_est']:.0f} s for all)",
    )
    add("  speed-up", f"{res['broadcast_speedup']:.1f}x", ">= 10x")
    add("  second run sends", str(res["broadcast_rerun_sent"]), "0")
    bp = res["broadcast_plan"]
    add(
        f"broadcast planning {bp['messages']:,} per-contact messages: CPU",
        f"{bp['cpu_s']:.2f} s (render, segments, trxids, totals; {bp['segments']:,} segments; "
        f"wall {bp['wall_s']:.2f} s)",
        "< 2 s",
    )
    add("duplicates in the sandbox's messages", str(res["duplicates"]), "0")
    add("failed actions (apply + broadcast)", str(res["failed_actions"]), "0")


def _markdown(rows: list[tuple[str, str, str]]) -> str:
    w1 = max(len(r[0]) for r in rows)
    w2 = max(len(r[1]) for r in rows)
    lines = [
        f"| {'measure':<{w1}} | {'result':<{w2}} | target |",
        f"|{'-' * (w1 + 2)}|{'-' * (w2 + 2)}|--------|",
    ]
    lines += [f"| {a:<{w1}} | {b:<{w2}} | {t} |" for a, b, t in rows]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (CI smoke run)")
    ap.add_argument("--latency-ms", type=int, default=20)
    ap.add_argument("--max-page-size", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--plan-groups", type=int, default=100)
    ap.add_argument("--sequential-sample", type=int, default=1000)
    ap.add_argument(
        "--full-sequential",
        action="store_true",
        help="time the sequential broadcast client on every message",
    )
    ap.add_argument(
        "--compare-strategies",
        nargs="*",
        default=[],
        choices=["list-all", "by-group"],
        help="also plan 100k with the strategy forced",
    )
    ap.add_argument(
        "--process-runs",
        type=int,
        default=5,
        help="whole-process runs of each command and its floor (medians are reported)",
    )
    ap.add_argument("--import-runs", type=int, default=3, help="whole-process runs of import")
    ap.add_argument("--million-runs", type=int, default=1, help="whole-process runs of 1M")
    ap.add_argument(
        "--million",
        action="store_true",
        help="also plan 1,000,000 contacts in 1,000 groups as a whole process (minutes)",
    )
    ap.add_argument(
        "--process-only",
        action="store_true",
        help="only the whole-process measurements (no in-process plan, apply, broadcast)",
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")
    args = ap.parse_args(argv)
    big = {
        "plan_small": 10_000,
        "plan_large": 100_000,
        "plan_million": 1_000_000,
        "million_groups": 1000,
        "apply_changes": 1000,
        "apply_remote": 2000,
        "apply_groups": 20,
        "broadcast": 10_000,
        "broadcast_groups": 10,
        "broadcast_plan": 100_000,
        "broadcast_plan_groups": 100,
        "capacity_seconds": 2.0,
    }
    quick = {
        "plan_small": 500,
        "plan_large": 2000,
        "plan_million": 5000,
        "million_groups": 20,
        "apply_changes": 100,
        "apply_remote": 200,
        "apply_groups": 4,
        "broadcast": 200,
        "broadcast_groups": 2,
        "broadcast_plan": 2000,
        "broadcast_plan_groups": 10,
        "capacity_seconds": 0.5,
    }
    for key, value in (quick if args.quick else big).items():
        setattr(args, key, value)
    if args.quick:
        args.plan_groups = min(args.plan_groups, 10)
        args.sequential_sample = min(args.sequential_sample, 50)
        args.process_runs = min(args.process_runs, 2)
        args.import_runs = min(args.import_runs, 1)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    res = run(args)
    if args.json:
        print(json.dumps(res, indent=2, sort_keys=True))
    else:
        print(table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
