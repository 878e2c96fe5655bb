"""`smsync account ...`: the gateway account itself, its balance and its password.

The new password comes from a prompt that does not echo (typed twice), a file, or stdin: never
from a command-line value, which shell history, `ps` and CI logs keep. It is never printed;
messages name where the password in use came from (a file, a variable), never a value.
"""

from __future__ import annotations

import json
import shlex
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from smsync.cli.errors import UserError
from smsync.cli.options import format_option, gateway_options, manager, project_argument

if TYPE_CHECKING:
    from smsync.account import PasswordChanged, PasswordChangeError, PasswordNotChanged
    from smsync.manager import GatewayOptions
    from smsync.spec.project import PasswordSource

#: The version of `account balance --format json` (a new field keeps it; a changed one bumps it).
BALANCE_JSON_VERSION = 1


@click.group("account")
def account_group() -> None:
    """The gateway account: its balance, and changing its password.

    \b
    Examples:
      smsync account balance
      smsync account balance --format json
      smsync account change-password                       # asks twice, shows nothing
      smsync account change-password --new-password-stdin < new-password.txt
    """


@account_group.command("balance")
@project_argument
@gateway_options
@format_option(
    'json: one object on stdout, {"version": 1, "username": ..., "endpoint": ..., "credits": N}, '
    "as schemas/balance.schema.json describes it."
)
def balance_cmd(
    project_dir: Path,
    gateway: GatewayOptions,
    fmt: str,
) -> None:
    """Show the account's balance: the credits left (creditsleft.aspx). Read-only.

    Also the quickest check that a password works: a wrong one fails with
    "1702 invalid username or password".
    """
    m = manager(project_dir, gateway)
    balance = m.balance()
    if fmt == "json":
        report = {
            "version": BALANCE_JSON_VERSION,
            "username": balance.username,
            "endpoint": balance.endpoint,
            "credits": _json_number(balance.credits),
        }
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        click.echo(f"{balance.credits} credits ({balance.username} at {balance.endpoint})")


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


@account_group.command("change-password")
@project_argument
@gateway_options
@click.option(
    "--new-password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Read the new password from this file (one line), e.g. a CI secret file.",
)
@click.option(
    "--new-password-stdin",
    is_flag=True,
    help="Read the new password from stdin (one line), e.g. from a secret manager's CLI.",
)
def change_password_cmd(
    project_dir: Path,
    gateway: GatewayOptions,
    new_password_file: Path | None,
    new_password_stdin: bool,
) -> None:
    """Change the gateway password (ChangePassword.aspx, authorised by the current one).

    The new password is asked twice on the terminal, not shown; or read from
    --new-password-file or --new-password-stdin. There is deliberately no option that takes
    the password itself. It must be printable ASCII without spaces (the gateway's MD5 auth
    is over bytes it defines for ASCII only), hold no '<' and no '&#' (ASP.NET servers refuse
    those in a URL), and differ from the current one.

    Where the current password came from decides what happens after the change: a credentials
    file is rewritten atomically (that one entry only; its permissions kept); $SMSYNC_PASSWORD
    or a --password-file must then be updated by you (the command says which).

    If the answer is lost (timeout, dropped connection) or unclear (a redirect, an error page,
    anything but the success code 1701), the password may or may not have changed: no file is
    touched, and the command says how to find out which one is valid.
    Exit code 0 only when the gateway confirmed the change and the credentials file (if any)
    holds the new password.
    """
    if new_password_file is not None and new_password_stdin:
        raise UserError("use --new-password-file or --new-password-stdin, not both")
    from smsync.account import (
        CredentialsFileNotUpdated,
        PasswordChangeUnknown,
        PasswordNotChanged,
        refuse_unchangeable,
    )

    m = manager(project_dir, gateway)
    # Before the new password is asked for: a setting that fails fails first.
    refuse_unchangeable(m.credentials())
    if new_password_file is not None:
        new = _read_file(new_password_file)
    elif new_password_stdin:
        new = _read_stdin()
    else:
        new = _prompt()
    check = _balance_command(project_dir, gateway)
    try:
        changed = m.change_password(new)
    except PasswordNotChanged as exc:
        raise UserError(f"{exc}\npassword NOT changed: {_not_changed(exc, check)}") from None
    except PasswordChangeUnknown as exc:
        raise UserError(_how_to_check(exc, check)) from None
    except CredentialsFileNotUpdated as exc:
        raise UserError(
            # Not "still holds the old one": another process may have rewritten it meanwhile.
            f"{exc}\nThe password WAS changed on the gateway, but {exc.source} was not "
            f"updated and does not hold it: put the new password in its entry for user "
            f"{exc.username!r} by hand, then check with: {check}"
        ) from None
    click.echo(_changed(changed))


def _changed(result: PasswordChanged) -> str:
    from smsync.spec.project import PasswordOrigin

    unless = (
        "$SMSYNC_PASSWORD is set"
        if result.source.origin is PasswordOrigin.ENVIRONMENT
        else "--password-file is given"
    )
    also = [
        f"{other} also holds the OLD password for user {result.username!r}, and is read "
        f"unless {unless}: put the new one there too."
        for other in result.also_old
    ]
    return "\n".join([_changed_source(result), *also])


def _changed_source(result: PasswordChanged) -> str:
    from smsync.spec.project import PasswordOrigin

    head = f"password changed for {result.username} at {result.endpoint}"
    origin = result.source.origin
    if result.file_updated:
        return f"{head}; {result.source} now holds the new password (same permissions)."
    if origin is PasswordOrigin.ENVIRONMENT:
        return (
            f"{head}.\n$SMSYNC_PASSWORD still holds the OLD password: set it to the new one now "
            "(and the CI secret or vault entry it comes from); until then smsync fails with "
            "1702 invalid username or password."
        )
    return (
        f"{head}.\n{result.source} still holds the OLD password: put the new one there now "
        "(and in the secret store it comes from, if any); until then smsync fails with 1702 "
        "invalid username or password."
    )


def _not_changed(exc: PasswordNotChanged, check: str) -> str:
    from smsync.account import NotChangedBecause

    if exc.because is NotChangedBecause.NEVER_SENT:
        return (
            f"the request never reached the gateway, so the password in use (from {exc.source})"
            " is certainly still the valid one."
        )
    if exc.because is NotChangedBecause.WRONG_PASSWORD:
        return (
            f"the gateway does not accept the password in use (from {exc.source}) for user "
            f"{exc.username!r}: check it (was it changed already?) with: {check}"
        )
    return f"the gateway refused it; the password in use (from {exc.source}) is still valid."


def _how_to_check(exc: PasswordChangeError, check: str) -> str:
    """What to do when the change may or may not have been made: the one check that tells."""
    from smsync.spec.project import PasswordOrigin

    source: PasswordSource = exc.source
    if source.origin is PasswordOrigin.ENVIRONMENT:
        switch = (
            "set $SMSYNC_PASSWORD to the new password without putting it on a command line "
            "(read -rs SMSYNC_PASSWORD && export SMSYNC_PASSWORD), then run it again"
        )
    elif source.origin is PasswordOrigin.CREDENTIALS_FILE:
        switch = f"put the new password in {source} (entry {exc.username!r}), then run it again"
    else:
        switch = f"put the new password in {source}, then run it again"
    return (
        f"{exc}\nThe password MAY OR MAY NOT have been changed: the request may have reached the "
        f"gateway, but no clear answer came back. Nothing here was changed: {source} still "
        "holds the old password.\n"
        "To find out which password is valid now, run:\n"
        f"  {check}\n"
        "  - it shows the balance: nothing changed, the old password is still valid; run "
        "change-password again;\n"
        "  - it fails with 1702 invalid username or password: the new password is in effect; "
        f"{switch} to confirm.\n"
        "If neither password works, ask the provider to reset it."
    )


def _balance_command(project_dir: Path, gateway: GatewayOptions) -> str:
    """``smsync account balance`` with this command's project and gateway options: the same
    account, reached the same way (no option here holds a secret)."""
    words = ["smsync", "account", "balance"]
    if str(project_dir) != ".":
        words.append(str(project_dir))
    options = {
        "--endpoint": gateway.endpoint,
        "--username": gateway.username,
        "--password-file": gateway.password_file,
        "--credentials-file": gateway.credentials_file,
    }
    for option, value in options.items():
        if value is not None:
            words += [option, str(value)]
    return shlex.join(words)


# --- reading the new password ----------------------------------------------------------------


def _one_line(text: str, where: str) -> str:
    # One trailing line break is the file's or the pipe's, not the password's (as for
    # --password-file); one inside would be a second line, which no gateway form can carry.
    text = text.rstrip("\r\n")
    if "\n" in text or "\r" in text:
        raise UserError(f"{where} must hold the new password on one line")
    return text


def _read_file(path: Path) -> str:
    from smsync.spec.localfile import LocalFileError, read_text_file
    from smsync.spec.project import MAX_SECRET_FILE_BYTES

    try:
        text = read_text_file(path, max_bytes=MAX_SECRET_FILE_BYTES, encoding="utf-8")
    except LocalFileError as exc:
        raise UserError(f"--new-password-file: {exc}") from None
    return _one_line(text, f"--new-password-file {path}")


def _read_stdin() -> str:
    from smsync.spec.project import MAX_SECRET_FILE_BYTES

    if sys.stdin.isatty():
        # A terminal would show the password as it is typed: that is what the prompt is for.
        raise UserError(
            "--new-password-stdin reads a pipe or a file, and stdin is a terminal (it would "
            "show the password): leave the option out to be asked without echo"
        )
    data = sys.stdin.buffer.read(MAX_SECRET_FILE_BYTES + 1)
    if len(data) > MAX_SECRET_FILE_BYTES:
        raise UserError(f"--new-password-stdin: more than {MAX_SECRET_FILE_BYTES} bytes on stdin")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError("--new-password-stdin: stdin is not UTF-8 text") from None
    return _one_line(text, "--new-password-stdin: stdin")


def _prompt() -> str:
    if not sys.stdin.isatty():
        # Without a terminal, a prompt would read stdin with echo on, or hang a CI job.
        raise UserError(
            "no terminal to ask for the new password on: pass --new-password-file PATH or "
            "--new-password-stdin"
        )
    value: str = click.prompt(
        "New password",
        hide_input=True,
        confirmation_prompt="Repeat the new password",
        err=True,
    )
    return value
