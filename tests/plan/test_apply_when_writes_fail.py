"""apply when a write fails or its answer is lost: a group add whose answer was lost is found
on the gateway (even behind a saturated search) and not made twice, and a group is kept when
moving its members out of it failed. Real sandbox, real HTTP."""

from __future__ import annotations

from typing import Any

from smsync import numbers
from smsync.apply.executor import Executor
from smsync.gateway.client import Client
from smsync.gateway.errors import TransportError
from smsync.plan.model import Action, Op, PhonebookSafety, Plan, ReadStats, Record, Strategy
from tests.support.numbers import number
from tests.support.sandbox import PASSWORD, USERNAME


def test_lost_group_add_found_behind_a_saturated_search(sandbox: Any) -> None:
    for i in range(12):
        sandbox.store.add_group(USERNAME, f"Marketing {i}")

    class LosesFirstAnswer(Client):
        lost = False

        def add_group(self, name: str) -> int | None:
            result = super().add_group(name)
            if not LosesFirstAnswer.lost:
                LosesFirstAnswer.lost = True
                raise TransportError("groupAdd", "read timeout", maybe_applied=True)
            return result

    plan = Plan(
        [Action(Op.ADD_GROUP, "Marketing")],
        "x",
        ReadStats(Strategy.NONE, "", 0, 0),
        PhonebookSafety(),
    )
    with LosesFirstAnswer(sandbox.url, USERNAME, PASSWORD) as client:
        result = Executor(client).run(plan)
    assert [o.status for o in result.outcomes] == ["done"]
    names = [g["name"] for g in sandbox.store.snapshot()["groups"]]
    assert names.count("Marketing") == 1


def test_group_is_kept_when_moving_its_members_out_failed(sandbox: Any) -> None:
    gid = sandbox.store.add_group(USERNAME, "Old")
    cid = sandbox.store.add_contact(USERNAME, name="Rina", mobile=number(1), group="Old")
    # the move's destination does not exist, so the move fails with 1711
    normalised = numbers.normalize(number(1))
    before = Record("Rina", number(1), normalised, "Old")
    after = Record("Rina", number(1), normalised, "Missing")
    plan = Plan(
        [
            Action(Op.MOVE_CONTACT, "Missing", id=cid, before=before, after=after),
            Action(Op.DELETE_GROUP, "Old", id=gid),
        ],
        "x",
        ReadStats(Strategy.NONE, "", 0, 0),
        PhonebookSafety(),
    )
    with Client(sandbox.url, USERNAME, PASSWORD) as client:
        result = Executor(client).run(plan)
    assert [o.status for o in result.outcomes] == ["failed", "skipped"]
    assert [g["name"] for g in sandbox.store.snapshot()["groups"]] == ["Old"]
