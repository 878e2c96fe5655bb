"""Options that several commands share, and what they turn into."""

from __future__ import annotations

import functools
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from smsync.manager import GatewayOptions, Manager
    from smsync.plan.planner import PlanOptions

F = TypeVar("F", bound=Callable[..., Any])

#: Where the root command leaves --no-color for the commands below it (click's shared meta).
NO_COLOR_KEY = "smsync.no_color"


class FiniteFloatRange(click.FloatRange):
    """A FloatRange that refuses ``nan`` and ``inf``: every comparison with nan is false, so a
    bound alone lets it through (``--rate nan`` would mean "no cap")."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def gateway_options(fn: F) -> F:
    """--endpoint / --username / --password-file / --credentials-file for gateway commands,
    handed to the command as one ``gateway: GatewayOptions`` argument (what ``Manager`` takes):
    each command then says where the gateway is in one word, not four."""

    @functools.wraps(fn)
    def with_gateway(*args: Any, **kwargs: Any) -> Any:
        from smsync.manager import GatewayOptions  # imported when a command runs, not before

        kwargs["gateway"] = GatewayOptions(
            endpoint=kwargs.pop("endpoint"),
            username=kwargs.pop("username"),
            password_file=kwargs.pop("password_file"),
            credentials_file=kwargs.pop("credentials_file"),
        )
        return fn(*args, **kwargs)

    wrapped: Any = with_gateway
    wrapped = click.option(
        "--credentials-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="YAML or INI file mapping username to password (must be chmod 600). "
        "Default: $SMSYNC_CREDENTIALS_FILE or ~/.config/smsync/credentials.",
    )(wrapped)
    wrapped = click.option(
        "--password-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Read the password from this file. Otherwise $SMSYNC_PASSWORD or the credentials "
        "file. There is deliberately no --password option.",
    )(wrapped)
    wrapped = click.option(
        "--username",
        metavar="USER",
        help="Gateway username (default: $SMSYNC_USERNAME, smsync.yaml).",
    )(wrapped)
    wrapped = click.option(
        "--endpoint",
        metavar="URL",
        help="Gateway base URL, e.g. http://host:8080, or sandbox://PATH for the embedded "
        "sandbox (default: $SMSYNC_ENDPOINT, smsync.yaml).",
    )(wrapped)
    return wrapped  # type: ignore[no-any-return]


def listen_options(port: int, host_help: str, port_help: str) -> Callable[[F], F]:
    """--host (loopback by default) and --port (0: any free port) for a command that serves."""

    def decorate(fn: F) -> F:
        fn = click.option(
            "--port", default=port, show_default=True, type=click.IntRange(0, 65535), help=port_help
        )(fn)
        return click.option("--host", default="127.0.0.1", show_default=True, help=host_help)(fn)

    return decorate


def project_option(fn: F) -> F:
    """--project DIR, for a command whose argument is something else (the project defaults
    to the current directory)."""
    return click.option(
        "--project",
        "project_dir",
        default=".",
        show_default=True,
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        help="The project directory.",
    )(fn)


def manager(project_dir: Path, gateway: GatewayOptions | None = None) -> Manager:
    """The Manager of ``project_dir``, reaching the gateway as the gateway options say."""
    from smsync.manager import Manager

    return Manager(project_dir, gateway) if gateway is not None else Manager(project_dir)


def project_argument(fn: F) -> F:
    return click.argument(
        "project_dir",
        required=False,
        default=".",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
    )(fn)


@dataclass(frozen=True)
class PlanScope:
    """What plan and apply look at (--target, --exclude, --broadcast, --no-broadcasts,
    --broadcasts-only) and how (--concurrency, --show-pii): one argument of both commands."""

    targets: tuple[str, ...]
    excludes: tuple[str, ...]
    concurrency: int
    show_pii: bool
    broadcast_names: tuple[str, ...]
    no_broadcasts: bool
    broadcasts_only: bool

    def check(self) -> None:
        """Combinations that cannot mean anything are one-line errors, before any request."""
        from smsync.cli.errors import UserError

        if self.broadcasts_only and self.no_broadcasts:
            raise UserError("--broadcasts-only and --no-broadcasts leave nothing to plan together")
        if self.broadcasts_only and (self.targets or self.excludes):
            raise UserError(
                "--target/--exclude choose the groups whose changes are applied; "
                "--broadcasts-only applies none"
            )

    @property
    def narrowed(self) -> bool:
        """Whether any option chose a part of the spec (a saved plan cannot be narrowed)."""
        return bool(
            self.targets
            or self.excludes
            or self.broadcast_names
            or self.no_broadcasts
            or self.broadcasts_only
        )

    @property
    def broadcasts(self) -> list[str] | None:
        """--broadcast/--no-broadcasts as Session.plan's ``broadcasts`` (None: all of them)."""
        if self.no_broadcasts:
            return []
        return list(self.broadcast_names) or None

    def plan_options(self) -> PlanOptions:
        from smsync.plan.planner import PlanOptions

        return PlanOptions(
            targets=list(self.targets), excludes=list(self.excludes), concurrency=self.concurrency
        )


def plan_options(fn: F) -> F:
    """What to plan, for plan and apply: groups, broadcasts, concurrency, PII, handed to the
    command as one ``scope: PlanScope`` argument."""

    @functools.wraps(fn)
    def with_scope(*args: Any, **kwargs: Any) -> Any:
        kwargs["scope"] = PlanScope(
            targets=kwargs.pop("targets"),
            excludes=kwargs.pop("excludes"),
            concurrency=kwargs.pop("concurrency"),
            show_pii=kwargs.pop("show_pii"),
            broadcast_names=kwargs.pop("broadcast_names"),
            no_broadcasts=kwargs.pop("no_broadcasts"),
            broadcasts_only=kwargs.pop("broadcasts_only"),
        )
        return fn(*args, **kwargs)

    wrapped: Any = with_scope
    wrapped = click.option(
        "--broadcasts-only",
        is_flag=True,
        help="Only the broadcasts (those due now are sent): no phonebook change is planned or "
        "made, and the phonebook is read only where an audience needs it. For a scheduled job "
        "that sends what is due, beside the one that applies the spec on push.",
    )(wrapped)
    wrapped = click.option(
        "--no-broadcasts",
        is_flag=True,
        help="Leave broadcasts out (phonebook changes only).",
    )(wrapped)
    wrapped = click.option(
        "--broadcast",
        "broadcast_names",
        multiple=True,
        metavar="NAME",
        help="Plan only this broadcast (repeatable; default: every broadcast in the spec).",
    )(wrapped)
    wrapped = click.option(
        "--concurrency",
        default=4,
        show_default=True,
        type=click.IntRange(1, 64),
        help="Requests in flight at once.",
    )(wrapped)
    wrapped = click.option(
        "--exclude",
        "excludes",
        multiple=True,
        metavar="GROUP",
        help="Leave groups matching this glob out of the plan (repeatable).",
    )(wrapped)
    wrapped = click.option(
        "--target",
        "targets",
        multiple=True,
        metavar="GROUP",
        help="Plan only groups matching this glob, e.g. 'Sales*' (repeatable).",
    )(wrapped)
    wrapped = click.option(
        "--show-pii",
        is_flag=True,
        help="Show names and numbers in full (masked by default when output is not a terminal, "
        "when CI is set, and in Markdown).",
    )(wrapped)
    return wrapped  # type: ignore[no-any-return]


def show_pii_default(show_pii: bool) -> bool:
    """Names and numbers are shown only on an interactive terminal outside CI, or on request."""
    return show_pii or (sys.stdout.isatty() and not os.environ.get("CI"))


def use_color() -> bool:
    """Colors only on a terminal, and never with --no-color or $NO_COLOR (no-color.org)."""
    ctx = click.get_current_context(silent=True)
    asked_not = ctx is not None and bool(ctx.meta.get(NO_COLOR_KEY))
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and not asked_not


def report_format(schema: str) -> Callable[[F], F]:
    """``--format text|json`` for a command that reports (JSON: ``schemas/SCHEMA``), and the
    older ``--json`` kept as its alias; the command gets one ``fmt`` argument."""

    def decorate(fn: F) -> F:
        def alias(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
            if value:
                ctx.meta["smsync.json_alias"] = True
            return value

        fn = click.option(
            "--json",
            "as_json",
            is_flag=True,
            expose_value=False,
            callback=alias,
            help="Same as --format json.",
        )(fn)
        return format_option(f"json: one object on stdout, as schemas/{schema} describes it.")(fn)

    return decorate


def format_option(help: str, *, markdown: bool = False) -> Callable[[F], F]:
    """``--format text|json`` (and ``markdown`` where a command renders one), into ``fmt``."""
    choices = ["text", "json", "markdown"] if markdown else ["text", "json"]
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default="text", show_default=True, help=help
    )


def chosen_format(fmt: str) -> str:
    """``fmt``, or json when the command was given --json."""
    ctx = click.get_current_context(silent=True)
    return "json" if ctx is not None and ctx.meta.get("smsync.json_alias") else fmt
