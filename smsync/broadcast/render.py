"""Rendering broadcast templates in a sandbox: a template is user text, never trusted code.

Templates run in Jinja's ImmutableSandboxedEnvironment (no attribute access to internals, no
mutation of the values passed in) with StrictUndefined (a misspelt variable is an error, not an
empty string) and autoescape off (SMS is plain text). On top of Jinja's own sandbox:

- ``*`` and ``**`` are intercepted so ``{{ 'x' * 10**9 }}`` cannot exhaust memory;
- the output is consumed as a stream and abandoned as soon as it passes the message limit.

Every failure comes out as :class:`TemplateProblem` (a one-line reason, with the template line
when Jinja knows it); the planner turns it into a BroadcastError naming broadcast and recipient.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

#: The gateway reference: "Text Message (encoded, max 5000 chars)".
MAX_MESSAGE_CHARS = 5000
# Bounds for the intercepted operators: far above anything a text message needs.
_MAX_REPEAT_CHARS = 2 * MAX_MESSAGE_CHARS
_MAX_POWER_EXPONENT = 64
_TEMPLATE_NAME = "<template>"


class TemplateProblem(Exception):
    """A template cannot be compiled or rendered; ``str()`` is a one-line reason."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(f"template line {line}: {reason}" if line else reason)


def _size(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


class _Env(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, op: str, left: Any, right: Any) -> Any:
        if op == "**":
            if isinstance(right, int | float) and abs(right) > _MAX_POWER_EXPONENT:
                raise SecurityError(f"exponent {right} is too large")
            return operator.pow(left, right)
        # "*": repeating a string/list builds it in memory before anything can check it.
        for seq, times in ((left, right), (right, left)):
            n = _size(seq)
            if n is not None and isinstance(times, int) and n * max(times, 0) > _MAX_REPEAT_CHARS:
                raise SecurityError("repetition would build a value longer than a message")
        return operator.mul(left, right)


_ENV = _Env(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)


@dataclass(frozen=True)
class CompiledTemplate:
    source: str
    template: jinja2.Template


def compile_template(source: str) -> CompiledTemplate:
    """Compile ``source``; TemplateProblem (with the template line) on a syntax error."""
    try:
        return CompiledTemplate(source, _ENV.from_string(source))
    except jinja2.TemplateSyntaxError as e:
        raise TemplateProblem(f"syntax error: {e.message}", e.lineno) from None
    except RecursionError:
        raise TemplateProblem("template is nested too deeply") from None
    except Exception as e:
        raise TemplateProblem(f"cannot compile: {_describe(e)}") from None


def render(template: CompiledTemplate, context: Mapping[str, Any],
           limit: int = MAX_MESSAGE_CHARS) -> str:
    """The rendered text; TemplateProblem when it fails or passes ``limit`` characters."""
    parts: list[str] = []
    total = 0
    try:
        for chunk in template.template.generate(dict(context)):
            parts.append(chunk)
            total += len(chunk)
            if total > limit:
                raise TemplateProblem(f"message is longer than {limit} characters")
    except TemplateProblem:
        raise
    except jinja2.UndefinedError as e:
        raise TemplateProblem(f"undefined variable: {e.message}", _template_line()) from None
    except SecurityError as e:
        raise TemplateProblem(f"refused by the template sandbox: {e}", _template_line()) from None
    except jinja2.TemplateError as e:
        raise TemplateProblem(_describe(e), _template_line()) from None
    except RecursionError:
        raise TemplateProblem("template recursion is too deep") from None
    except Exception as e:
        raise TemplateProblem(_describe(e), _template_line()) from None
    return "".join(parts)


def _describe(e: BaseException) -> str:
    msg = str(getattr(e, "message", None) or e).splitlines()
    first = msg[0] if msg else ""
    text = f"{type(e).__name__}: {first}" if first else type(e).__name__
    return text if len(text) <= 200 else text[:200] + "…"


def _template_line() -> int | None:
    """The template line of the error being handled (Jinja rewrites tracebacks so that frames
    of template code carry the template's own line numbers)."""
    tb = sys.exc_info()[2]
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _TEMPLATE_NAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
