"""Exit codes, and the errors that end a command with one of them.

The codes are a promise to scripts (`smsync plan --help`, `smsync apply --help`): 2 means "the
plan has changes" and nothing else, so every usage error exits 1 too, never click's 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from smsync.textsafe import escape_controls

if TYPE_CHECKING:
    from smsync.safety import Refused

# Shared by plan --detailed-exitcode and apply (see `smsync plan --help`).
EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_UNSAFE, EXIT_STALE = 0, 1, 2, 3, 4
#: apply stopped by Ctrl-C: the shell's code for it (128 + SIGINT).
EXIT_INTERRUPTED = 130


class UserError(click.ClickException):
    """A mistake or refusal the user can act on: one line on stderr, no traceback."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str) -> None:
        # Messages quote gateway answers and remote names: no control characters to the
        # terminal. Line breaks stay: some messages list one problem per line.
        super().__init__(escape_controls(message, keep_newlines=True))


class UnsafeRefusal(UserError):
    exit_code = EXIT_UNSAFE


class StaleRefusal(UserError):
    exit_code = EXIT_STALE


def refusal(exc: Refused) -> UserError:
    """The error (and so the exit code) for a plan that apply refuses: the one table of them."""
    # Imported here: smsync.safety loads the gateway client (requests), which `smsync --help`
    # must not pay for.
    from smsync.safety import StalePlan, UnsafePlan

    refusals: dict[type[Refused], type[UserError]] = {
        UnsafePlan: UnsafeRefusal,
        StalePlan: StaleRefusal,
    }
    # A Refused of no listed kind is unsafe: the base class says so (kind "unsafe").
    error = next((e for cls, e in refusals.items() if isinstance(exc, cls)), UnsafeRefusal)
    return error(str(exc))


def exits_1(exc: click.UsageError) -> click.UsageError:
    """``exc``, exiting 1 instead of click's 2 (which is EXIT_CHANGES)."""
    # On the instance, not a subclass: each UsageError subclass shows itself its own way (the
    # help for NoArgsIsHelpError, "did you mean" for NoSuchOption), and that is kept.
    setattr(exc, "exit_code", EXIT_ERROR)  # noqa: B010 (click types it as a ClassVar)
    return exc
