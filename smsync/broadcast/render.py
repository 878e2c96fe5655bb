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
import re
import sys
from collections.abc import Callable, Mapping
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


# A printf/format width or precision of 5+ digits ("%999999999s", "{:>999999999}") would build a
# huge string before the output limit can see it.
_HUGE_PRINTF = re.compile(r"%[^a-zA-Z%]*\d{5,}")
_HUGE_FORMAT = re.compile(r"\{[^{}]*\d{5,}[^{}]*\}")
_MAX_INT_ARG = 10_000


def _check_int_args(what: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _MAX_INT_ARG:
            raise SecurityError(f"{what}: argument {value} is too large for a text message")


def _bounded_filter(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _check_int_args(f"filter {name}", args[1:], kwargs)
        if name == "format" and args and isinstance(args[0], str) and (
                _HUGE_PRINTF.search(args[0]) or "*" in args[0]):
            raise SecurityError("filter format: width too large for a text message")
        return fn(*args, **kwargs)

    # Keep Jinja's pass_context/pass_environment markers so it calls the filter correctly.
    for attr in ("jinja_pass_arg",):
        if hasattr(fn, attr):
            setattr(wrapper, attr, getattr(fn, attr))
    return wrapper


class _Env(ImmutableSandboxedEnvironment):
    # Intercepting an operator also stops Jinja from folding it at compile time, where
    # ``{{ 'x' * 10**9 }}`` would otherwise be built before any check could run.
    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        for name in ("center", "indent", "wordwrap", "truncate", "format", "batch", "slice"):
            self.filters[name] = _bounded_filter(name, self.filters[name])

    def call_binop(self, context: Context, op: str, left: Any, right: Any) -> Any:
        if op == "**":
            if isinstance(right, int | float) and abs(right) > _MAX_POWER_EXPONENT:
                raise SecurityError(f"exponent {right} is too large")
            return operator.pow(left, right)
        if op == "%":
            if isinstance(left, str):
                star_args = right if isinstance(right, tuple) else (right,)
                if _HUGE_PRINTF.search(left) or ("*" in left and any(
                        isinstance(a, int) and abs(a) > _MAX_INT_ARG for a in star_args)):
                    raise SecurityError("% formatting: width too large for a text message")
            return operator.mod(left, right)
        # "*": repeating a string/list builds it in memory before anything can check it.
        for seq, times in ((left, right), (right, left)):
            n = _size(seq)
            if n is not None and isinstance(times, int) and n * max(times, 0) > _MAX_REPEAT_CHARS:
                raise SecurityError("repetition would build a value longer than a message")
        return operator.mul(left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any,
             **kwargs: Any) -> Any:
        # Jinja hands out str.format wrapped (functools.update_wrapper): look through it.
        target = getattr(__obj, "__wrapped__", __obj)
        owner = getattr(target, "__self__", None)
        if isinstance(owner, str | bytes | list | tuple):
            name = getattr(target, "__name__", "method")
            _check_int_args(f"{type(owner).__name__}.{name}", args, kwargs)
            if name in ("format", "format_map") and isinstance(owner, str) and (
                    _HUGE_FORMAT.search(owner) or "{:*" in owner):
                raise SecurityError("str.format: width too large for a text message")
            if name == "expandtabs" or (name in ("format", "format_map") and any(
                    isinstance(a, int) and abs(a) > _MAX_INT_ARG for a in kwargs.values())):
                raise SecurityError(f"str.{name} is not allowed in a message template")
        return super().call(__context, __obj, *args, **kwargs)


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
        raise TemplateProblem(f"syntax error: {_one_line(e.message or '')}", e.lineno) from None
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
        raise TemplateProblem(f"undefined variable: {_one_line(str(e.message))}",
                              _template_line()) from None
    except SecurityError as e:
        raise TemplateProblem(f"refused by the template sandbox: {_one_line(str(e))}",
                              _template_line()) from None
    except jinja2.TemplateError as e:
        raise TemplateProblem(_describe(e), _template_line()) from None
    except RecursionError:
        raise TemplateProblem("template recursion is too deep") from None
    except Exception as e:
        raise TemplateProblem(_describe(e), _template_line()) from None
    return "".join(parts)


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:300] + "…"


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
