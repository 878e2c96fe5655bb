"""`smsync sandbox serve` and `smsync sandbox show`: a local web2sms gateway."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from smsync.cli.errors import UserError
from smsync.cli.options import F, listen_options

if TYPE_CHECKING:
    from smsync.sandbox.run import AccountSpec


@click.group("sandbox")
def sandbox_group() -> None:
    """Run or inspect a local web2sms gateway (same protocol, SQLite state, chaos knobs).

    \b
    Examples:
      smsync sandbox serve --db sandbox.db --account demo:demo-pass:1000
      smsync sandbox show --db sandbox.db
      smsync sandbox show --db sandbox.db --json | jq '.messages | length'
    """


def _sandbox_account(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> list[AccountSpec]:
    from smsync.sandbox.run import parse_account

    try:
        return [parse_account(v) for v in values]
    except ValueError as exc:
        # Never echo the value: it contains a password.
        raise click.BadParameter(str(exc)) from None


def _switch(flag: str, forms: tuple[str, ...], help: str) -> Callable[[F], F]:
    """A dialect switch: one of ``forms``, the first by default. (The forms are spelled here
    again, not imported from smsync.sandbox.config: that would load the sandbox server for
    every `smsync --help`.)"""
    return click.option(
        flag, type=click.Choice(forms), default=forms[0], show_default=True, help=help
    )


def _milliseconds(flag: str, default: int, help: str) -> Callable[[F], F]:
    return click.option(flag, default=default, show_default=True, type=click.IntRange(0), help=help)


@sandbox_group.command("serve")
@listen_options(
    8080, "Address to listen on.", "Port (0: any free port; the URL printed says which)."
)
@click.option(
    "--db",
    "db_path",
    default=":memory:",
    show_default=True,
    metavar="PATH",
    help="SQLite file; state persists across restarts.",
)
@click.option(
    "--account",
    "accounts",
    multiple=True,
    callback=_sandbox_account,
    metavar="USER:PASSWORD[:CREDIT]",
    help="Create or update a test account at start (repeatable; new accounts get "
    "1000 credits unless CREDIT is given).",
)
@_milliseconds("--latency-ms", 0, "Delay every response by N ms.")
@_milliseconds("--latency-jitter-ms", 0, "Plus a random 0..N ms.")
@click.option(
    "--fault-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of API requests that fail (see --fault-kind).",
)
@click.option(
    "--fault-kind",
    "fault_kinds",
    multiple=True,
    type=click.Choice(["1703", "drop", "drop-after", "403"]),
    help="1703: answer 1703, apply nothing; drop: close the connection, apply "
    "nothing; drop-after: apply, then close without answering; 403: answer HTTP 403 "
    "Forbidden, apply nothing. Default: 1703, drop and drop-after.",
)
@click.option(
    "--fault-path",
    "fault_paths",
    multiple=True,
    metavar="ENDPOINT",
    help="Inject faults only into this endpoint, e.g. sendsmsgroup (repeatable; default: all).",
)
@click.option("--seed", type=int, default=None, help="RNG seed for reproducible faults/jitter.")
@click.option(
    "--max-page-size",
    default=100,
    show_default=True,
    type=click.IntRange(1),
    help="Larger `size` values are clamped to this.",
)
@click.option(
    "--dlr-url",
    default=None,
    metavar="URL",
    help="Delivery-report URL for accounts created now, with %id and %s, e.g. "
    "'http://127.0.0.1:9000/dlr?msgid=%id&status=%s'.",
)
@_milliseconds("--dlr-delay-ms", 50, "Time until a SENT message reaches its final state.")
@click.option(
    "--no-wa",
    "no_wa",
    multiple=True,
    metavar="PREFIX",
    help="Numbers starting with PREFIX (628... form) have no WhatsApp: 1751.",
)
@click.option(
    "--undeliverable",
    multiple=True,
    metavar="PREFIX",
    help="Messages to numbers starting with PREFIX (628... form) end UNDELIVRD.",
)
@click.option(
    "--final-state",
    "final_states",
    multiple=True,
    metavar="PREFIX=STATE",
    help="Messages to numbers starting with PREFIX (628... form) end in STATE: DELIVRD, "
    "UNDELIVRD, REJECTED or EXPIRED (repeatable; the longest prefix wins).",
)
@_switch(
    "--list-form", ("full", "short"), "Contact records in lists: 7 fields or id,name,mobile,group."
)
@_switch(
    "--separator",
    ("unicode", "cp1252", "bytes"),
    "Field/record separators: U+0080/U+0081, U+20AC/U+0081, raw bytes.",
)
@_switch(
    "--send-success",
    ("comma", "concat", "colon", "pipe", "bare"),
    "Send success body: 1701,ID / 1701ID / 1701:ID / 1701|ID / 1701.",
)
@_switch("--add-success", ("comma", "bare"), "phbkAdd/groupAdd success body: 1701,ID or 1701.")
@_switch(
    "--birth-form",
    ("yyyymmdd", "dmy", "iso", "slash"),
    "Birth date in records: 19450817 / 17 Aug 1945 / 1945-08-17 / 17/08/1945.",
)
@click.option(
    "--raw-fields",
    is_flag=True,
    help="List stored values raw: a separator inside a value is printed as it is.",
)
@click.option(
    "--trxid-remembers-failures",
    is_flag=True,
    help="A failed send (e.g. 1708) binds its trxid: repeats get the failure again.",
)
@_switch(
    "--paths",
    ("both", "camel", "underscore"),
    "Phonebook lookups answer at phbkGetList, phbk_getList, or both spellings.",
)
@_switch(
    "--number-param", ("both", "no", "number"), "phbkFindPhNumber reads `no`, `number`, or either."
)
@_switch(
    "--search-match",
    ("substring", "prefix"),
    "phbkFindPhNumber finds a stored mobile containing, or starting with, the search.",
)
@_switch(
    "--credits-path",
    ("both", "api", "root"),
    "creditsleft.aspx answers under web2sms/api/, web2sms/, or both.",
)
@click.option(
    "--error-suffix",
    default="",
    metavar="TEXT",
    help="Text after every error code, e.g. '<br>' (a code followed by markup).",
)
@_switch("--md5-charset", ("utf-8", "cp1252"), "Bytes the auth MD5 is computed over.")
@click.option(
    "--proxy-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve ~proxy/*.php only on this second port (0: any free port).",
)
@click.option(
    "--dialect",
    "dialect_file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    metavar="FILE",
    help="JSON object of dialect switches (what `smsync doctor --json` prints under "
    '"sandbox"); flags given here override it.',
)
@click.option("--quiet", "-q", is_flag=True, help="Log no requests (by default one line each).")
@click.pass_context
def sandbox_serve_cmd(
    ctx: click.Context,
    host: str,
    port: int,
    db_path: str,
    accounts: list[AccountSpec],
    latency_ms: int,
    latency_jitter_ms: int,
    fault_rate: float,
    fault_kinds: tuple[str, ...],
    fault_paths: tuple[str, ...],
    seed: int | None,
    max_page_size: int,
    dlr_url: str | None,
    dlr_delay_ms: int,
    no_wa: tuple[str, ...],
    undeliverable: tuple[str, ...],
    final_states: tuple[str, ...],
    list_form: str,
    separator: str,
    send_success: str,
    add_success: str,
    birth_form: str,
    raw_fields: bool,
    trxid_remembers_failures: bool,
    paths: str,
    number_param: str,
    search_match: str,
    credits_path: str,
    error_suffix: str,
    md5_charset: str,
    proxy_port: int | None,
    dialect_file: str | None,
    quiet: bool,
) -> None:
    """Serve the web2sms protocol locally until Ctrl-C, logging each request to stderr
    (method, path, status, time; never the query, which holds the auth) unless --quiet.

    Prints the base URL; point smsync at it with --endpoint URL (or use sandbox://PATH to
    run one in-process instead). Passwords given here are sandbox test passwords.

    \b
    Examples:
      smsync sandbox serve --account demo:demo-pass
      smsync sandbox serve --db sb.db --port 0 --account demo:demo-pass:50
      smsync sandbox serve --fault-rate 0.1 --fault-kind drop-after --seed 1 \\
          --latency-ms 20 --latency-jitter-ms 200      # chaos
      smsync sandbox serve --list-form short --separator bytes --send-success bare
      smsync sandbox serve --fault-rate 1 --fault-kind 403 --fault-path sendsmsgroup
    """
    from smsync.sandbox import ConfigError, SandboxConfig, StoreError
    from smsync.sandbox.config import DEFAULT_FAULT_KINDS, load_dialect
    from smsync.sandbox.run import serve_until_interrupted

    try:
        dialect = load_dialect(dialect_file) if dialect_file else {}
        given = {
            "paths": paths,
            "number_param": number_param,
            "search_match": search_match,
            "credits_path": credits_path,
            "error_suffix": error_suffix,
            "md5_charset": md5_charset,
            "max_page_size": max_page_size,
            "list_form": list_form,
            "separator": separator,
            "birth_form": birth_form,
            "send_success": send_success,
            "add_success": add_success,
        }
        source = click.core.ParameterSource.COMMANDLINE
        dialect.update(
            {
                k: v
                for k, v in given.items()
                if ctx.get_parameter_source(k) == source or k not in dialect
            }
        )
        config = SandboxConfig(
            db_path=db_path,
            host=host,
            port=port,
            latency_ms=latency_ms,
            latency_jitter_ms=latency_jitter_ms,
            fault_rate=fault_rate,
            fault_kinds=fault_kinds or DEFAULT_FAULT_KINDS,
            fault_paths=fault_paths,
            seed=seed,
            dlr_url=dlr_url,
            dlr_delay_ms=dlr_delay_ms,
            no_wa_prefixes=no_wa,
            undeliverable_prefixes=undeliverable,
            final_states=final_states,
            raw_fields=raw_fields,
            trxid_remembers_failures=trxid_remembers_failures,
            proxy_port=proxy_port,
            **dialect,
        )
        _log_requests(not quiet)
        serve_until_interrupted(config, accounts, click.echo)
    except (ConfigError, StoreError) as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None


def _log_requests(on: bool) -> None:
    """The access log on stderr (the sandbox's logger does not reach smsync's own)."""
    import logging

    from smsync.sandbox.server import access_log

    if on:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)


@sandbox_group.command("show")
@click.option(
    "--db",
    "db_path",
    required=True,
    metavar="PATH",
    help="The sandbox SQLite file (opened read-only; fine while a server runs).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the stable JSON object documented in smsync.sandbox (no passwords).",
)
def sandbox_show_cmd(db_path: str, as_json: bool) -> None:
    """Show what a sandbox gateway holds: accounts and credit, groups, contacts, messages.

    \b
    Examples:
      smsync sandbox show --db sandbox.db
      smsync sandbox show --db sandbox.db --json | jq '.messages[] | select(.status != "DELIVRD")'
    """
    from smsync.sandbox import StoreError
    from smsync.sandbox.show import load_snapshot, print_snapshot

    try:
        snap = load_snapshot(db_path)
    except StoreError as exc:
        raise UserError(str(exc)) from None
    if as_json:
        click.echo(json.dumps(snap, indent=2, ensure_ascii=False))
        return
    from rich.console import Console

    # Piped or narrow: rich would cut every column to fit 80 characters; print wide instead
    # (and see --json for machines).
    console = Console()
    if not console.is_terminal or console.width < 140:
        console = Console(width=200)
    print_snapshot(snap, console)
