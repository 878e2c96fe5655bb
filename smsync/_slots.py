"""Filling frozen, slotted dataclasses fast: for the 100k-row paths (a contacts file, a listing).

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``; its slots'
own setters do the same about twice as fast, and ``object.__new__`` plus every setter makes an
object equal to the one ``__init__`` makes (the callers' tests compare every field)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

__all__ = ["slot_setters"]


def slot_setters(cls: type) -> tuple[Callable[[Any, Any], None], ...]:
    """The ``__set__`` of each field's slot of the frozen, slotted dataclass ``cls``, in field
    order (use them on ``object.__new__(cls)``, every one of them)."""
    return tuple(getattr(cls, f.name).__set__ for f in fields(cls))
