"""Typed results of gateway calls. Plain data: no knowledge of the wire format here."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Contact:
    """One phonebook record as the gateway returns it.

    ``mobile`` is exactly what the gateway holds (``08…`` or ``628…``); callers normalise it
    before comparing. ``complete`` is False when the record came from a short-form listing
    (only id, name, mobile, group) and the detail fields are therefore unknown, not empty.

    Slotted: a plan of a million contacts holds a million of them (a quarter of the memory
    an instance ``__dict__`` takes).
    """

    id: int
    name: str
    mobile: str
    group: str
    address: str = ""
    birth: date | None = None
    desc: str = ""
    complete: bool = True


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    #: non-empty fields the record held after the name: a name that contained the field
    #: separator (a gateway printing values raw) reads as a shorter name plus these
    extra: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class BadRecord:
    """A record of a listing that could not be read (e.g. a separator character inside a
    stored value split it). ``id`` is its first field when that is a number. It is neither a
    row nor a reason to fail the listing: the caller leaves it alone and says so."""

    id: int | None
    reason: str
    position: int  # 0-based, within its page


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a paged listing. The gateway sends no total, and may serve fewer rows than
    ``size`` asked for without saying so: only :mod:`smsync.gateway.paging` decides which page
    is the last. ``bad`` are the page's records that could not be read; they count as rows
    served (a page is short only when the gateway sent fewer records)."""

    items: list[T]
    page: int
    size: int
    bad: tuple[BadRecord, ...] = ()

    @property
    def served(self) -> int:
        return len(self.items) + len(self.bad)


@dataclass(frozen=True)
class SendResult:
    """A send accepted by the gateway. ``msgid`` is None when the body was a bare ``1701``.

    For a group send, ``msgid`` is the batch id the gateway answered with.
    """

    msgid: str | None
    raw: str = field(repr=False, default="")


class DeliveryState(enum.StrEnum):
    SENT = "SENT"  # accepted, no final report yet
    DELIVRD = "DELIVRD"
    UNDELIVRD = "UNDELIVRD"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def is_final(self) -> bool:
        return self is not DeliveryState.SENT


@dataclass(frozen=True)
class DeliveryStatus:
    msgid: str
    state: DeliveryState
