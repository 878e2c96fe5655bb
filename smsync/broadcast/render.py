"""Rendering broadcast templates in a sandbox: a template is user text, never trusted code.

Templates run in Jinja's ImmutableSandboxedEnvironment (no attribute access to internals, no
mutation of the values passed in) with StrictUndefined (a misspelt variable is an error, not an
empty string) and autoescape off (SMS is plain text). A plan renders once per recipient, so on top
of Jinja's own sandbox every render is bounded, in size and in work:

- Size. No value a template builds may print longer than ``MAX_VALUE_CHARS`` and no number may
  have more than ``MAX_INT_BITS`` bits. Steps that multiply sizes (``*``, ``**``, ``%``, join,
  replace, indent, wordwrap, format, …) estimate their result and refuse before building it; every
  other step is checked as soon as it returns, so nothing grows past the limit from one step to
  the next. The output is a stream, abandoned as soon as it passes the message limit.
- Work. A render has ``MAX_RENDER_STEPS`` steps and ``MAX_RENDER_SECONDS`` of CPU time. Every
  sandbox hook spends from them: calls, attribute and item lookups, operators, filters, tests,
  each iteration of a ``for`` (the code generator meters every loop) and each number ``range()``
  hands out, plus one step per ``_CHARS_PER_STEP`` characters of each value built and of each
  value a filter or string method reads. Calls nest at most ``_MAX_CALL_DEPTH`` deep. Steps make
  refusals deterministic; the clock is the backstop for steps that cost more than their size
  says (a macro call, ``in`` on long strings).
- Compiling runs under the same meter: Jinja evaluates constant filters and lookups while
  compiling, and an intercepted operator (all of them are) is never evaluated then at all.

Every failure comes out as :class:`TemplateProblem` (a one-line reason, with the template line
when Jinja knows it); the planner turns it into a BroadcastError naming broadcast and recipient.
"""

from __future__ import annotations

import math
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass, field
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range
from jinja2.utils import Namespace, generate_lorem_ipsum

#: The gateway reference: "Text Message (encoded, max 5000 chars)".
MAX_MESSAGE_CHARS = 5000
# Bounds far above anything a text message needs (a real template takes tens of steps), low
# enough that a render stays a fraction of a second whatever the template does.
MAX_VALUE_CHARS = 10 * MAX_MESSAGE_CHARS
MAX_INT_BITS = 4096
MAX_RENDER_STEPS = 50_000
MAX_RENDER_SECONDS = 1.0
_CHARS_PER_STEP = 100
_STEPS_PER_CLOCK_READ = 256
_MAX_CALL_DEPTH = 50
_MAX_LIPSUM_WORDS = MAX_VALUE_CHARS // 10
_TEMPLATE_NAME = "<template>"
_TOO_BIG_VALUE = f"the template would build a value longer than {MAX_VALUE_CHARS} characters"
_TOO_BIG_NUMBER = f"the number would have more than {MAX_INT_BITS} bits"


class TemplateProblem(Exception):
    """A template cannot be compiled or rendered; ``str()`` is a one-line reason."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(f"template line {line}: {reason}" if line else reason)


# -- The work budget ----------------------------------------------------------------------------


class _TooMuchWork(Exception):
    """The budget ran out: the template was stopped, not refused by the sandbox."""


class _Meter:
    """What is left of one compile's or render's budget.

    Spending is the hot path of every hook, so it only subtracts and compares; the clock (CPU
    time of the thread, which neither a busy machine nor a sleeping laptop advances) is read once
    every _STEPS_PER_CLOCK_READ steps, the first time after that many: short renders never read
    it at all.
    """

    __slots__ = ("clock_at", "deadline", "depth", "steps_left")

    def __init__(self) -> None:
        self.steps_left = MAX_RENDER_STEPS
        self.clock_at = MAX_RENDER_STEPS - _STEPS_PER_CLOCK_READ
        self.deadline = 0.0
        self.depth = 0

    def check(self) -> None:
        """The slow path of spending: out of steps, or time to read the clock."""
        if self.steps_left < 0:
            raise _TooMuchWork(f"over {MAX_RENDER_STEPS} steps")
        now = time.thread_time()
        if not self.deadline:
            self.deadline = now + MAX_RENDER_SECONDS
        elif now > self.deadline:
            raise _TooMuchWork(f"over {MAX_RENDER_SECONDS:g} s")
        self.clock_at = self.steps_left - _STEPS_PER_CLOCK_READ


class _Unmetered(_Meter):
    def __init__(self) -> None:
        super().__init__()
        self.clock_at = self.steps_left + 1  # every spend takes the slow path

    def check(self) -> None:
        raise RuntimeError("template code ran outside compile_template() or render()")


class _Metering(threading.local):
    # The compile or render running on this thread. Hooks do not take a context (getattr has
    # none), so the meter cannot travel with the call; a thread runs one render at a time.
    meter: _Meter = _Unmetered()


_metering = _Metering()


def _spend(steps: int = 1) -> _Meter:
    meter = _metering.meter
    meter.steps_left -= steps
    if meter.steps_left < meter.clock_at:
        meter.check()
    return meter


def _charging(iterable: Iterable[Any]) -> Iterator[Any]:
    meter = _metering.meter
    for item in iterable:
        meter.steps_left -= 1
        if meter.steps_left < meter.clock_at:
            meter.check()
        yield item


class _CountingRange:
    """``range()`` for templates: Jinja's length limit, and one step per number handed out, also
    to filters (sum, list, join, …) that would otherwise loop over it in C, unmetered."""

    __slots__ = ("_numbers",)

    def __init__(self, numbers: range) -> None:
        self._numbers = numbers

    def __len__(self) -> int:
        return len(self._numbers)

    def __iter__(self) -> Iterator[int]:
        return _charging(self._numbers)

    def __reversed__(self) -> Iterator[int]:
        return _charging(reversed(self._numbers))

    def __getitem__(self, index: Any) -> Any:
        item = self._numbers[index]
        return _CountingRange(item) if isinstance(item, range) else item

    def __contains__(self, value: object) -> bool:
        return value in self._numbers

    def __getattr__(self, name: str) -> Any:  # start, stop, step, count, index
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._numbers, name)

    def __repr__(self) -> str:
        return repr(self._numbers)


def _counting_range(*args: int) -> _CountingRange:
    return _CountingRange(safe_range(*args))


# -- Sizes ------------------------------------------------------------------------------------

# Types that print short: no walking, no charge.
_SCALARS = frozenset({bool, float, type(None)})
_CONTAINERS = (bytes, list, tuple, dict, set, frozenset, Namespace)


def _printed_size(*values: Any) -> int:
    """About ``len(str(v))`` summed over ``values``, without building any of it.

    Containers are walked (a list holding the same big list twice prints it twice, so it counts
    twice), and the walk stops soon after MAX_VALUE_CHARS: it costs that much at most.
    """
    total = 0
    stack = list(values)
    while stack and total <= MAX_VALUE_CHARS:
        value = stack.pop()
        kind = type(value)
        if kind is str or kind is bytes:
            total += len(value)
        elif kind in _SCALARS:
            total += 24
        elif isinstance(value, (str, bytes)):
            total += len(value)
        elif isinstance(value, int):
            total += value.bit_length() // 3 + 1
        elif isinstance(value, dict):
            total += 2 + 6 * len(value)
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (list, tuple, set, frozenset)):
            total += 2 + 4 * len(value)
            stack.extend(value)
        elif isinstance(value, Namespace):
            total += 14
            stack.append(object.__getattribute__(value, "_Namespace__attrs"))
        else:
            total += 24  # an object's repr
    return total


def _checked(value: Any) -> Any:
    """``value``, paid for by its size; SecurityError if it is too big to give to a template."""
    # Exact types first: this runs after every hook, and isinstance() on many types is slow.
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is str or isinstance(value, str):
        size = len(value)
    elif isinstance(value, int):
        if value.bit_length() > MAX_INT_BITS:
            raise SecurityError(_TOO_BIG_NUMBER)
        return value
    elif isinstance(value, _CONTAINERS):
        size = _printed_size(value)
    else:
        return value
    if size > MAX_VALUE_CHARS:
        raise SecurityError(_TOO_BIG_VALUE)
    if size >= _CHARS_PER_STEP:
        _spend(size // _CHARS_PER_STEP)
    return value


def _length(value: Any) -> int:
    if type(value) is str:
        return len(value)
    return len(value) if isinstance(value, (str, bytes, list, tuple, dict)) else 0


def _check_power(base: Any, exponent: Any) -> None:
    # 10 ** 64 ** 64 ** 64 cannot even be computed: estimate the bits first. (Float powers
    # overflow by themselves, quickly.)
    if (
        isinstance(base, int)
        and isinstance(exponent, int)
        and exponent > 1
        and abs(base) > 1
        and (exponent >= MAX_INT_BITS or math.log2(abs(base)) * exponent >= MAX_INT_BITS)
    ):
        raise SecurityError(_TOO_BIG_NUMBER)


def _check_product(left: Any, right: Any) -> None:
    if type(left) is float or type(right) is float:
        return  # a float product overflows to inf by itself; float * sequence is a TypeError
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
            raise SecurityError(_TOO_BIG_NUMBER)
        return
    # Repeating a string/list builds it in memory before anything can check it.
    for seq, times in ((left, right), (right, left)):
        if (
            isinstance(seq, str | bytes | list | tuple)
            and isinstance(times, int)
            and times > 1
            and _printed_size(seq) * times > MAX_VALUE_CHARS
        ):
            raise SecurityError(_TOO_BIG_VALUE)


# Estimates of the printed size of results that can be far bigger than their arguments, each with
# the signature of the filter or string method it guards.


def _replaced_size(s: Any, old: Any, new: Any, count: Any = None) -> int:
    text, old, new = str(s), str(old), str(new)
    hits = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new) - len(old), 0)


def _joined_size(items: Any, sep: Any = "", attribute: Any = None) -> int:
    return len(str(sep)) * max(len(items) - 1, 0) + _printed_size(*items)


def _indented_size(s: Any, width: Any = 4, first: Any = False, blank: Any = False) -> int:
    text = str(s)
    pad = len(width) if isinstance(width, str) else int(width)
    return len(text) + (text.count("\n") + 1) * max(pad, 0)


def _wrapped_size(
    s: Any,
    width: Any = 79,
    break_long_words: Any = True,
    wrapstring: Any = None,
    break_on_hyphens: Any = True,
) -> int:
    # A wrapped line is at least half as long as the width (a word that does not fit starts the
    # next one), and existing line breaks stay.
    text = str(s)
    lines = 2 * len(text) // max(int(width), 1) + text.count("\n") + 1
    return len(text) + lines * len("\n" if wrapstring is None else str(wrapstring))


def _filled_size(value: Any, count: Any, fill_with: Any = None) -> int:
    """batch/slice: up to ``count`` copies of ``fill_with`` added to ``value``."""
    extra = 0 if fill_with is None else int(count) * _printed_size(fill_with)
    return _printed_size(value) + extra


def _formatted_size(fmt: Any, *args: Any, **kwargs: Any) -> int:
    """``fmt % values``, ``fmt.format(...)``: any placeholder may print all the values."""
    text = str(fmt)
    return len(text) + (text.count("%") + text.count("{")) * _printed_size(*args, *kwargs.values())


def _urlized_size(
    value: Any,
    trim_url_limit: Any = None,
    nofollow: Any = False,
    target: Any = None,
    rel: Any = None,
    extra_schemes: Any = None,
) -> int:
    text = str(value)
    per_link = len(str(target or "")) + len(str(rel or ""))
    return 3 * len(text) + (len(text.split()) + 1) * per_link


_FILTER_SIZES: dict[str, Callable[..., int]] = {
    "replace": _replaced_size,
    "join": _joined_size,
    "indent": _indented_size,
    "wordwrap": _wrapped_size,
    "batch": _filled_size,
    "slice": _filled_size,
    "format": _formatted_size,
    "urlize": _urlized_size,
}
_STR_METHOD_SIZES: dict[str, Callable[..., int]] = {
    "replace": _replaced_size,
    "join": lambda sep, items: _joined_size(items, sep),
    "format": _formatted_size,
    "format_map": _formatted_size,
}
_REFUSED_STR_METHODS = frozenset({"expandtabs", "translate"})


def _check_size(
    size_of: Callable[..., int], args: Iterable[Any], kwargs: Mapping[str, Any]
) -> None:
    try:
        size = size_of(*args, **kwargs)
    except (TypeError, ValueError, OverflowError):
        return  # arguments the real call refuses by itself
    if size > MAX_VALUE_CHARS:
        raise SecurityError(_TOO_BIG_VALUE)


def _sized(items: Any) -> Any:
    # join reads its whole argument anyway: read a generator first, so it can be measured.
    return items if isinstance(items, Sized) else list(items)


# A printf/format width or precision of 5+ digits ("%999999999s", "{:>999999999}") would build a
# huge string before the output limit can see it.
_HUGE_PRINTF = re.compile(r"%[^a-zA-Z%]*\d{5,}")
_HUGE_FORMAT = re.compile(r"\{[^{}]*\d{5,}[^{}]*\}")
_MAX_INT_ARG = 10_000
_INT_ARG_FILTERS = frozenset(
    {"center", "indent", "wordwrap", "truncate", "format", "batch", "slice"}
)


def _check_int_args(what: str, args: Iterable[Any], kwargs: Mapping[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _MAX_INT_ARG:
            raise SecurityError(f"{what}: argument {value} is too large for a text message")


def _guarded(name: str, fn: Callable[..., Any], is_filter: bool) -> Callable[..., Any]:
    """``fn`` (a filter or test) metered, with its result checked (and estimated first when it can
    outgrow its arguments)."""
    pass_arg = getattr(fn, "jinja_pass_arg", None)
    at = 0 if pass_arg is None else 1  # the value's position, after any context argument
    size_of = _FILTER_SIZES.get(name) if is_filter else None
    int_args = is_filter and name in _INT_ARG_FILTERS

    def guarded(*args: Any, **kwargs: Any) -> Any:
        # Filters loop over their value in C: pay for reading it too.
        _spend(1 + _length(args[at]) // _CHARS_PER_STEP if len(args) > at else 1)
        if int_args:
            _check_int_args(f"filter {name}", args[at + 1 :], kwargs)
            if (
                name == "format"
                and len(args) > at
                and isinstance(args[at], str)
                and (_HUGE_PRINTF.search(args[at]) or "*" in args[at])
            ):
                raise SecurityError("filter format: width too large for a text message")
        if size_of is not None and len(args) > at:
            if name == "join":
                args = (*args[:at], _sized(args[at]), *args[at + 1 :])
            _check_size(size_of, args[at:], kwargs)
        return _checked(fn(*args, **kwargs))

    # Keep Jinja's pass_context/pass_environment marker so it calls the filter correctly.
    if pass_arg is not None:
        guarded.jinja_pass_arg = pass_arg  # type: ignore[attr-defined]
    return guarded


def _bounded_lipsum(*args: Any, **kwargs: Any) -> Any:
    params = dict(zip(("n", "html", "min", "max"), args, strict=False)) | kwargs
    paragraphs, words = params.get("n", 5), params.get("max", 100)
    if (
        isinstance(paragraphs, int)
        and isinstance(words, int)
        and paragraphs * words > _MAX_LIPSUM_WORDS
    ):
        raise SecurityError("lipsum: too many words for a text message")
    return generate_lorem_ipsum(*args, **kwargs)


# -- The environment --------------------------------------------------------------------------


class _MeteredCodeGenerator(CodeGenerator):
    """Routes through the environment the steps that plain Jinja runs without any hook: each loop
    iteration, ``~``, list/tuple/dict literals, and (via ``environment.concat``) set blocks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loop_iterables: set[int] = set()  # ids: nodes compare by value

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        self._loop_iterables.add(id(node.iter))
        super().visit_For(node, frame)

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        if id(node) not in self._loop_iterables:
            return super().visit(node, *args, **kwargs)
        # Jinja does not allow new node types, so the for's iterable is wrapped here.
        self.write("environment.metered(")
        result = super().visit(node, *args, **kwargs)
        self.write(")")
        return result

    def _checked(self, visit: Callable[[Any, Frame], None], node: nodes.Node, frame: Frame) -> None:
        self.write("environment.checked(")
        visit(node, frame)
        self.write(")")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self._checked(super().visit_Concat, node, frame)

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self._checked(super().visit_List, node, frame)

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self._checked(super().visit_Dict, node, frame)

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx == "load":
            self._checked(super().visit_Tuple, node, frame)
        else:  # an assignment target
            super().visit_Tuple(node, frame)


class _Env(ImmutableSandboxedEnvironment):
    # Every operator goes through call_binop/call_unop to be metered and checked. An intercepted
    # operator is also never folded while compiling, where ``{{ 10 ** 64 ** 64 ** 64 }}`` would
    # otherwise be computed before any check could run.
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"+", "-"})
    code_generator_class = _MeteredCodeGenerator

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = _counting_range
        self.globals["lipsum"] = _bounded_lipsum
        for table, is_filter in ((self.filters, True), (self.tests, False)):
            for name, fn in list(table.items()):
                table[name] = _guarded(name, fn, is_filter)

    # Set blocks and macros join their output with this.
    @staticmethod
    def concat(parts: Iterable[str]) -> str:
        text = "".join(parts)
        _checked(text)
        return text

    checked = staticmethod(_checked)

    def metered(self, iterable: Any) -> Any:
        return iterable if isinstance(iterable, _CountingRange) else _charging(iterable)

    def getattr(self, obj: Any, attribute: str) -> Any:
        _spend()
        return _checked(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        _spend()
        return _checked(super().getitem(obj, argument))

    def call_unop(self, context: Context, operator: str, arg: Any) -> Any:
        _spend()
        return _checked(self.unop_table[operator](arg))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _spend()
        if operator == "**":
            _check_power(left, right)
        elif operator == "*":
            _check_product(left, right)
        elif operator == "%" and isinstance(left, str):
            star_args = right if isinstance(right, tuple) else (right,)
            if _HUGE_PRINTF.search(left) or (
                "*" in left and any(isinstance(a, int) and abs(a) > _MAX_INT_ARG for a in star_args)
            ):
                raise SecurityError("% formatting: width too large for a text message")
            _check_size(_formatted_size, (left, right), {})
        return _checked(self.binop_table[operator](left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        # Jinja hands out str.format wrapped (functools.update_wrapper): look through it.
        target = getattr(__obj, "__wrapped__", __obj)
        owner = getattr(target, "__self__", None)
        # A method (s.count, s.split, …) loops over its owner in C: pay for reading it too.
        meter = _spend(1 + _length(owner) // _CHARS_PER_STEP)
        if isinstance(owner, str | bytes | list | tuple):
            name = getattr(target, "__name__", "method")
            _check_int_args(f"{type(owner).__name__}.{name}", args, kwargs)
            if (
                name in ("format", "format_map")
                and isinstance(owner, str)
                and (_HUGE_FORMAT.search(owner) or "{:*" in owner)
            ):
                raise SecurityError("str.format: width too large for a text message")
            if name in _REFUSED_STR_METHODS or (
                name in ("format", "format_map")
                and any(isinstance(a, int) and abs(a) > _MAX_INT_ARG for a in kwargs.values())
            ):
                raise SecurityError(f"str.{name} is not allowed in a message template")
            size_of = _STR_METHOD_SIZES.get(name) if isinstance(owner, str) else None
            if size_of is not None:
                if name == "join" and args:
                    args = (_sized(args[0]), *args[1:])
                _check_size(size_of, (owner, *args), kwargs)
        elif isinstance(__obj, LoopContext) and args:
            # loop(children) in a recursive for runs the loop again: meter it the same way.
            args = (__self.metered(args[0]), *args[1:])
        if meter.depth >= _MAX_CALL_DEPTH:
            raise SecurityError(f"calls nest more than {_MAX_CALL_DEPTH} deep")
        meter.depth += 1
        try:
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            meter.depth -= 1
        return _checked(result)


_ENV = _Env(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)


@dataclass(frozen=True)
class CompiledTemplate:
    """A template compiled once, rendered once per recipient.

    ``globals``: the environment's globals, flattened once. Jinja keeps a template's globals
    as a ChainMap over the environment's, and walks it twice to make every render's context:
    for a one-line message that was most of the render (a broadcast renders 100k of them).
    """

    source: str
    template: jinja2.Template
    globals: dict[str, Any] = field(compare=False)  # (the template's own, flattened)


def compile_template(source: str) -> CompiledTemplate:
    """Compile ``source``; TemplateProblem (with the template line) on a syntax error."""
    outer, _metering.meter = _metering.meter, _Meter()
    try:
        template = _ENV.from_string(source)
        return CompiledTemplate(source, template, dict(template.globals))
    except jinja2.TemplateSyntaxError as e:
        raise TemplateProblem(f"syntax error: {_one_line(e.message or '')}", e.lineno) from None
    except RecursionError:
        raise TemplateProblem("template is nested too deeply") from None
    except Exception as e:
        raise TemplateProblem(f"cannot compile: {_describe(e)}") from None
    finally:
        _metering.meter = outer


def render(
    template: CompiledTemplate, context: Mapping[str, Any], limit: int = MAX_MESSAGE_CHARS
) -> str:
    """The rendered text; TemplateProblem when it fails, passes ``limit`` characters or runs out
    of its budget of work."""
    parts: list[str] = []
    total = 0
    outer, _metering.meter = _metering.meter, _Meter()
    try:
        for chunk in _generate(template, context):
            parts.append(chunk)
            total += len(chunk)
            if total > limit:
                raise TemplateProblem(f"message is longer than {limit} characters")
    except TemplateProblem:
        raise
    except _TooMuchWork as e:
        raise TemplateProblem(
            f"the template takes too long to render ({e})", _template_line()
        ) from None
    except jinja2.UndefinedError as e:
        raise TemplateProblem(
            f"undefined variable: {_one_line(str(e.message))}", _template_line()
        ) from None
    except SecurityError as e:
        raise TemplateProblem(
            f"refused by the template sandbox: {_one_line(str(e))}", _template_line()
        ) from None
    except jinja2.TemplateError as e:
        raise TemplateProblem(_describe(e), _template_line()) from None
    except RecursionError:
        raise TemplateProblem("template recursion is too deep") from None
    except Exception as e:
        raise TemplateProblem(_describe(e), _template_line()) from None
    finally:
        _metering.meter = outer
    return "".join(parts)


def _generate(compiled: CompiledTemplate, context: Mapping[str, Any]) -> Iterator[str]:
    """``Template.generate(context)``, its context made as ``Template.new_context`` makes it
    but from the flattened globals (a fresh context per render: a template may set variables
    in it)."""
    template = compiled.template
    ctx = _ENV.context_class(
        _ENV,
        {**compiled.globals, **context},
        template.name,
        template.blocks,
        globals=compiled.globals,
    )
    try:
        yield from template.root_render_func(ctx)
    except Exception:
        _ENV.handle_exception()  # raises it again, its traceback rewritten to template lines


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
