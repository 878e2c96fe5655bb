"""Seeded worlds for the reliability tests and for ``benchmarks/chaos.py``: a project directory
(spec) plus a sandbox seeded with a remote phonebook that differs from it in every way plan
knows (adds, edits, moves, deletes, a group to create, a group to delete), with an undeclared
group that must never be touched and a protected group that must never lose a member.

The expectation is computed from the spec alone, independently of smsync, and checked against
the sandbox's own state (``Store.snapshot()``): contacts of every group, and every message.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from smsync.apply import Refused
from smsync.gateway.errors import SmsyncError
from smsync.manager import GatewayOptions, Manager
from smsync.sandbox import SandboxServer
from smsync.spec.errors import SpecErrors
from smsync.spec.project import CredentialsError
from tests.support.numbers import canon, gw, number
from tests.support.sandbox import PASSWORD, USERNAME
from tests.support.sandbox import start_sandbox as start_sandbox  # for benchmarks/chaos.py

BROADCAST = "rapat"
UNDECLARED = "Lain"
PROTECTED = "Tetap"
REPO = Path(__file__).resolve().parents[2]


@dataclass
class World:
    root: Path
    srv: SandboxServer
    #: group name -> {canonical mobile: name} that the spec declares (state: present)
    expected: dict[str, dict[str, str]]
    absent: list[str]
    #: contacts of the undeclared group, as the snapshot shows them (ids included)
    undeclared: list[dict[str, Any]]
    protected: list[dict[str, Any]]
    recipients: set[str] = field(default_factory=set)  # canonical numbers; empty: no broadcast


def build_world(
    root: Path, srv: SandboxServer, rng: random.Random, *, n: int = 12, broadcast: bool = True
) -> World:
    """Write the project at ``root`` and seed ``srv`` (directly in its store: no faults)."""
    store = srv.store
    ids = rng.sample(range(1, 10_000), 3 * n + 10)
    kantor, gudang, spare = ids[:n], ids[n : 2 * n], ids[2 * n :]
    # Remote: Kantor holds part of the spec (some renamed), plus rows the spec drops and a row
    # that moves to Gudang; an undeclared group shares numbers with managed ones.
    for i in kantor[: n // 2]:
        name = f"Kontak {i}" if rng.random() < 0.6 else f"Nama Lama {i}"
        store.add_contact(USERNAME, name, gw(i), "Kantor", desc="Staf")
    dropped = spare[:3]
    for i in dropped:
        store.add_contact(USERNAME, f"Keluar {i}", gw(i), "Kantor")
    mover = gudang[0]
    store.add_contact(USERNAME, f"Kontak {mover}", gw(mover), "Kantor")
    for i in [kantor[0], spare[3], spare[4]]:
        store.add_contact(USERNAME, f"Orang Lain {i}", gw(i), UNDECLARED, address="Jl. Lain")
    protected = spare[5:8]
    for i in protected:
        store.add_contact(USERNAME, f"Dilindungi {i}", number(i), PROTECTED)
    for i in spare[8:10]:
        store.add_contact(USERNAME, f"Lama {i}", gw(i), "Lama")
    before = store.snapshot()["contacts"]

    def person(i: int) -> dict[str, Any]:
        return {"name": f"Kontak {i}", "mobile": number(i)}

    docs: list[dict[str, Any]] = [
        {
            "kind": "Group",
            "name": "Kantor",
            "contacts": [{**person(i), "desc": "Staf"} for i in kantor],
        },
        {"kind": "Group", "name": "Gudang", "contacts": [person(i) for i in gudang]},
        {
            "kind": "Group",
            "name": PROTECTED,
            "protect": True,
            "contacts": [{"name": f"Dilindungi {i}", "mobile": number(i)} for i in protected],
        },
        {"kind": "Group", "name": "Lama", "state": "absent"},
    ]
    if broadcast:
        docs.append(
            {
                "kind": "Broadcast",
                "name": BROADCAST,
                "audience": {"contacts": {"groups": ["Kantor", "Gudang"]}},
                "template": "Halo {{ name }}, rapat jam {{ jam }}.",
                "vars": {"jam": "10"},
            }
        )
    (root / "spec").mkdir(parents=True, exist_ok=True)
    (root / "spec" / "all.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    config = {
        "version": 1,
        "gateway": {"endpoint": srv.url, "username": USERNAME, "page_size": 10},
        "spec": ["spec/*.yaml"],
        # The scenarios delete and edit large shares on purpose; protection is what is tested.
        "safety": {"max_delete_share": 1.0, "max_update_share": 1.0},
    }
    (root / "smsync.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    expected = {
        "Kantor": {gw(i): f"Kontak {i}" for i in kantor},
        "Gudang": {gw(i): f"Kontak {i}" for i in gudang},
        PROTECTED: {gw(i): f"Dilindungi {i}" for i in protected},
    }
    return World(
        root=root,
        srv=srv,
        expected=expected,
        absent=["Lama"],
        undeclared=[c for c in before if c["group"] == UNDECLARED],
        protected=[c for c in before if c["group"] == PROTECTED],
        recipients={gw(i) for i in kantor + gudang} if broadcast else set(),
    )


@dataclass
class Check:
    """What went wrong after convergence (all empty when the guarantees held)."""

    state: list[str] = field(default_factory=list)  # managed groups differing from the spec
    wrongful_deletes: int = 0  # undeclared or protected rows deleted or changed
    duplicates: int = 0  # extra messages to a recipient
    lost: int = 0  # recipients without a message

    @property
    def ok(self) -> bool:
        return not (self.state or self.wrongful_deletes or self.duplicates or self.lost)


def check_world(world: World, *, require_sent: bool = True) -> Check:
    snap = world.srv.store.snapshot()
    out = Check()
    rows = [c for c in snap["contacts"] if c["account"] == USERNAME]
    for name, members in world.expected.items():
        got = sorted(
            (canon(c["mobile"]), c["name"])
            for c in rows
            if c["group"].casefold() == name.casefold()
        )
        if got != sorted(members.items()):
            out.state.append(f"{name}: {got} != {sorted(members.items())}")
    groups = {g["name"].casefold() for g in snap["groups"] if g["account"] == USERNAME}
    for name in world.absent:
        if name.casefold() in groups:
            out.state.append(f"{name}: still exists")
    for name in world.expected:
        if name.casefold() not in groups:
            out.state.append(f"{name}: missing")
    by_id = {c["id"]: c for c in rows}
    for c in world.undeclared + world.protected:
        if by_id.get(c["id"]) != c:
            out.wrongful_deletes += 1
    if UNDECLARED.casefold() not in groups:
        out.wrongful_deletes += 1
    undeclared_now = [c for c in rows if c["group"] == UNDECLARED]
    if len(undeclared_now) != len(world.undeclared):
        out.wrongful_deletes += 1
    per = Counter(canon(m["mobile"]) for m in snap["messages"] if m["account"] == USERNAME)
    out.duplicates = sum(n - 1 for n in per.values() if n > 1)
    out.duplicates += sum(n for m, n in per.items() if m not in world.recipients)
    if require_sent:
        out.lost = sum(1 for r in world.recipients if per[r] == 0)
    return out


# --- driving apply in-process (chaos) ---------------------------------------------------------


@dataclass
class Convergence:
    applies: int  # apply runs until a plan showed no changes
    failed_runs: int  # runs that failed or were refused (each one needs a re-run)


def password_file(root: Path) -> Path:
    """The password in a file beside (not inside) the project, as a user would keep it."""
    path = root.parent / f"{root.name}.password"
    if not path.exists():
        path.write_text(PASSWORD + "\n")
        path.chmod(0o600)
    return path


def converge(root: Path, *, max_runs: int, **client_options: Any) -> Convergence:
    """plan -> apply until a plan shows no changes, as a user re-running `smsync apply` would.

    Raises AssertionError when ``max_runs`` applies do not converge."""
    applies = failed = 0
    gateway = GatewayOptions(password_file=password_file(root))
    for _ in range(max_runs + 1):
        try:
            with Manager(root, gateway).session(**client_options) as session:
                plan = session.plan()
                assert not plan.unsafe, plan.safety.reasons
                if not plan.has_changes:
                    return Convergence(applies, failed)
                applies += 1
                outcome = session.apply(plan)
                if not outcome.ok:
                    failed += 1
        except Refused as exc:
            assert exc.kind == "stale", exc
            failed += 1
        except (CredentialsError, SpecErrors):
            raise
        except SmsyncError:
            # A read failed after all its retries (or a run stopped early): run again.
            failed += 1
    raise AssertionError(f"not converged after {max_runs} applies")


# --- driving the real CLI in a subprocess (crash) -----------------------------------------------


def cli_env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SMSYNC_PASSWORD": PASSWORD,
        "CI": "1",
        "NO_COLOR": "1",
    }


def run_apply(
    root: Path, srv: SandboxServer, *, kill_after_requests: int | None, timeout: float = 60.0
) -> tuple[int | None, str]:
    """``python -m smsync apply ROOT --auto-approve``; with ``kill_after_requests``, SIGKILL it
    once the sandbox has served that many more API requests. Returns (exit code or None when
    killed, output); asserts the password is not in the output."""
    start = srv.stats()["requests"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "smsync", "apply", str(root), "--auto-approve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=cli_env(),
    )
    try:
        if kill_after_requests is not None:
            deadline = time.monotonic() + timeout
            while srv.stats()["requests"] - start < kill_after_requests and proc.poll() is None:
                assert time.monotonic() < deadline, "apply made no progress"
                time.sleep(0.001)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                out, _ = proc.communicate(timeout=10)
                assert PASSWORD not in out
                return None, out
        out, _ = proc.communicate(timeout=timeout)
        assert PASSWORD not in out
        return proc.returncode, out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()  # reaps it and closes its pipes


# --- whole trials (shared by the tests and benchmarks/chaos.py) -------------------------------


def chaos_config(seed: int) -> dict[str, Any]:
    """Sandbox settings for chaos trial ``seed``: 10-30 % faults of every kind, latency spikes
    beyond the client's read timeout, and a random gateway dialect."""
    rng = random.Random(seed)
    return {
        "fault_rate": (0.1, 0.2, 0.3)[seed % 3],
        "seed": seed,
        # Latency spikes: up to 40 ms against a 35 ms client read timeout (~12 % time out,
        # and the sandbox applies the request anyway, after the client gave up).
        "latency_jitter_ms": 40,
        "list_form": rng.choice(["full", "short"]),
        "send_success": rng.choice(["comma", "concat", "bare"]),
        "add_success": rng.choice(["comma", "bare"]),
        "max_page_size": rng.choice([10, 100]),
    }


#: Client settings of the chaos trials: a read timeout the latency spikes exceed.
CHAOS_CLIENT = {"retries": 3, "backoff": 0.01, "read_timeout": 0.035}


@dataclass
class Trial:
    faults: int  # faults injected (chaos) or kills (crash)
    reruns: int  # applies needed to converge (chaos) or re-runs after the kills (crash)
    check: Check


def chaos_trial(srv: SandboxServer, root: Path, seed: int, *, max_runs: int) -> Trial:
    world = build_world(root, srv, random.Random(seed))
    result = converge(world.root, max_runs=max_runs, **CHAOS_CLIENT)
    return Trial(srv.stats()["faults"], result.applies, check_world(world))


def crash_trial(
    srv: SandboxServer, root: Path, rng: random.Random, *, broadcast: bool, max_reruns: int = 5
) -> Trial:
    """SIGKILL `smsync apply` 1-2 times at random moments, then re-run it until it exits 0."""
    world = build_world(root, srv, rng, broadcast=broadcast)
    # A whole run makes about 39 requests for the phonebook changes, 24 more for the broadcast;
    # a second kill lands in what the first run left to do.
    span = 60 if broadcast else 38
    kills = 0
    for k in range(rng.choice([1, 2])):
        code, out = run_apply(root, srv, kill_after_requests=rng.randrange(1, span // (k + 1)))
        if code is None:
            kills += 1
        else:
            assert code == 0, out
    reruns = 0
    while True:
        reruns += 1
        assert reruns <= max_reruns, "apply did not converge after the kills"
        code, out = run_apply(root, srv, kill_after_requests=None)
        assert "Traceback" not in out
        if code == 0:
            break
    return Trial(kills, reruns, check_world(world))
