"""The click layer: parse options, call the library, render results. Never builds a URL.

One module per group of commands (project: init/validate/import, plan: plan/apply, status:
status/dlr, sandbox), the options they share in options.py, what they print in printers.py,
exit codes and user errors in errors.py. A command's module is imported only when that command
runs or `--help` lists it: `import smsync.cli` loads click and nothing of the commands.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from smsync import __version__
from smsync.cli.errors import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_STALE,
    EXIT_UNSAFE,
    StaleRefusal,
    UnsafeRefusal,
    UserError,
    exits_1,
)
from smsync.cli.options import NO_COLOR_KEY
from smsync.errors import SmsyncError

__all__ = [
    "EXIT_CHANGES",
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_STALE",
    "EXIT_UNSAFE",
    "StaleRefusal",
    "UnsafeRefusal",
    "UserError",
    "cli",
    "main",
]

# Command name -> "module:attribute" of its click command (or group).
COMMANDS = {
    "account": "smsync.cli.account:account_group",
    "apply": "smsync.cli.plan:apply_cmd",
    "dlr": "smsync.cli.status:dlr_group",
    "doctor": "smsync.cli.doctor:doctor_cmd",
    "import": "smsync.cli.project:import_cmd",
    "init": "smsync.cli.project:init_cmd",
    "plan": "smsync.cli.plan:plan_cmd",
    "sandbox": "smsync.cli.sandbox:sandbox_group",
    "schema": "smsync.cli.schema:schema_cmd",
    "show": "smsync.cli.plan:show_cmd",
    "status": "smsync.cli.status:status_cmd",
    "state": "smsync.cli.state:state_group",
    "validate": "smsync.cli.project:validate_cmd",
}


class SmsyncGroup(click.Group):
    """Loads each command from COMMANDS when it is first asked for; turns every SmsyncError
    raised by a command into a clean error message and exit 1, and makes usage errors exit 1
    too.

    click exits 2 on a usage error (unknown option or command, bad value, missing argument),
    but 2 is EXIT_CHANGES: a typo in a CI script would read as "plan has changes". The root
    group's own arguments are parsed in make_context; every subcommand's (sub-groups included)
    are parsed inside invoke, so these two methods see every usage error of the tree.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, _, attribute = COMMANDS[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in COMMANDS:
            # An unknown name: click suggests the close ones ("Did you mean 'status'?") from
            # the commands loaded so far, so load them all first.
            for name in COMMANDS:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise exits_1(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise exits_1(exc) from None
        except SmsyncError as exc:
            raise UserError(str(exc)) from None


@click.group(
    cls=SmsyncGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="smsync")
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="More detail on stderr: -v what smsync does, -vv every gateway request (= --debug). "
    "Default: $SMSYNC_LOG (debug, info, warning, error), else warnings only.",
)
@click.option("--debug", is_flag=True, help="Log everything, every gateway request included.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    envvar="SMSYNC_LOG_FORMAT",
    show_default=True,
    help="json: one JSON object per log line on stderr, for CI (also $SMSYNC_LOG_FORMAT).",
)
@click.option(
    "--no-color",
    is_flag=True,
    help="No colors (also when $NO_COLOR is set, or output is not a terminal).",
)
def cli(verbose: int, debug: bool, log_format: str, no_color: bool) -> None:
    """Manage a web2sms SMS gateway account from YAML files kept in git.

    \b
    Typical flow (Terraform-style):
      smsync init myphonebook      # a commented smsync.yaml and an example group
      smsync validate myphonebook  # check the YAML, no network
      smsync plan myphonebook      # what would change on the gateway (and who gets what)
      smsync apply myphonebook     # make the gateway match the YAML, send due broadcasts
      smsync status myphonebook    # delivery status of the broadcasts sent

    \b
    Reviewed plans (Terraform's saved plans):
      smsync plan myphonebook --out plan.json   # then: smsync show plan.json
      smsync apply plan.json --project myphonebook   # applies exactly that, without asking

    \b
    Starting from an existing account (creates the project and its smsync.yaml):
      smsync import myphonebook --endpoint http://HOST:PORT --username USER
    Trying things safely:  smsync sandbox serve --account demo:demo-pass
    The account:  smsync account balance;  smsync account change-password (rotate it)

    Every command that talks to the gateway takes --endpoint, --username and --password-file;
    `sandbox://PATH` runs a local sandbox gateway in-process, so you can try everything safely.

    \b
    Exit codes: 0 ok, 1 error (usage errors too), 2 plan has changes (--detailed-exitcode),
    3 refused as unsafe, 4 refused as stale.
    Shell completion (bash; zsh and fish alike):  eval "$(_SMSYNC_COMPLETE=bash_source smsync)"
    """
    from smsync.cli import logs

    try:
        level = logs.level_for(verbose, debug, logs.env_level())
    except ValueError as exc:
        raise UserError(str(exc)) from None
    logs.setup(level, log_format)
    click.get_current_context().meta[NO_COLOR_KEY] = no_color


def main() -> None:
    cli()
