"""`smsync state ...`: what smsync remembers between runs, and where (see smsync.state)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from smsync.cli.options import manager, project_argument, project_option

if TYPE_CHECKING:
    from smsync.manager import Manager


def _manager(project_dir: Path) -> Manager:
    return manager(project_dir)


@click.group("state")
def state_group() -> None:
    """Show, move or repair the state: the broadcast ledger, protection memory, locks.

    \b
    Where it lives: `state:` in smsync.yaml or $SMSYNC_STATE
      local:.smsync/ledger.sqlite     (default; locks this machine only)
      postgresql://USER@HOST/DB       (locks every runner using the database)
      git:BRANCH                      (a branch of this repository; needs SMSYNC_STATE_KEY)
    """


@state_group.command("show")
@project_argument
@click.option("--show-pii", is_flag=True, help="Show phone numbers in full (masked by default).")
def show_cmd(project_dir: Path, show_pii: bool) -> None:
    """What the state records: sends by broadcast, protected items, locks held."""
    from smsync.numbers import mask, to_national

    def shown(number: str) -> str:
        if show_pii or not number.startswith("+"):
            return number
        return mask(to_national(number))

    view = _manager(project_dir).state_view()
    scope = "this machine only" if view.lock_scope == "machine" else "every runner using it"
    click.echo(f"state: {view.where} (its apply lock reaches {scope})")
    click.echo(f"gateway account: {view.gateway or '(none yet)'}")
    for lock in view.locks:
        click.echo(f"lock {lock.id}: {lock.account}, held by {lock.who} since {lock.since}")
    last = None
    for broadcast, number, kind, state, msgid in view.sends:
        if broadcast != last:
            click.echo(f"broadcast {broadcast}:")
            last = broadcast
        click.echo(f"  {shown(number):<24} {kind:<8} {state:<10} {msgid or ''}".rstrip())
    for p in view.protected:
        what = f"group {p.name}" if p.kind == "group" else f"contact {shown(p.number)} in {p.name}"
        click.echo(f"protected (remembered): {what}")
    if not view.sends and not view.protected:
        click.echo("nothing recorded yet")


@state_group.command("unlock")
@click.argument("lock_id")
@project_option
def unlock_cmd(lock_id: str, project_dir: Path) -> None:
    """Break the apply lock LOCK_ID that a dead run left (the refusal names it)."""
    click.echo(_manager(project_dir).state_unlock(lock_id))


@state_group.command("forget")
@click.argument("broadcast")
@project_option
def forget_cmd(broadcast: str, project_dir: Path) -> None:
    """Forget what was sent for BROADCAST: the next apply sends it to everyone again."""
    n = _manager(project_dir).state_forget(broadcast)
    click.echo(f"forgot {n} row(s) of broadcast {broadcast}: the next apply sends it again")


@state_group.command("migrate")
@project_argument
@click.option(
    "--to",
    "to",
    required=True,
    metavar="URL",
    help="The new state: local:PATH, git:BRANCH or postgresql://USER@HOST/DB.",
)
def migrate_cmd(project_dir: Path, to: str) -> None:
    """Copy the state to URL, verify the copy, and switch smsync.yaml's `state:` to it."""
    import os

    from smsync.spec.project import STATE_ENV, switch_state_setting

    m = _manager(project_dir)
    n = m.state_migrate(to)
    new = m.state(to).where
    if os.environ.get(STATE_ENV):
        click.echo(
            f"copied and verified {n} row(s) to {new}; {STATE_ENV} chooses the state "
            f"here: set it to the new URL (smsync.yaml was not changed)"
        )
        return
    # never a password in smsync.yaml (it is in git): the masked URL, the password from
    # PGPASSWORD or ~/.pgpass
    cfg = switch_state_setting(m.project, new)
    hint = "" if new == to else " (without the password: give it in PGPASSWORD)"
    click.echo(f"copied and verified {n} row(s) to {new}; {cfg.name} now says state: {new}{hint}")
