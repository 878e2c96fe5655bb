"""Lazy package exports (PEP 562): ``from smsync.gateway import Client`` keeps working, but
importing a light module of a package (``smsync.broadcast.model``, ``smsync.gateway.names``)
no longer loads the whole package — the HTTP client, the delivery-report server, jinja2.
Start-up time of the CLI and the weight of ``import smsync.plan.model`` depend on it."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, importing each exported name from its
    module (``exports``: name -> module) on first use."""

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__
