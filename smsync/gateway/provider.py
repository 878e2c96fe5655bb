"""The seam between smsync and a gateway: what plan, apply, import and broadcasts need from one.

Like octoDNS's ``BaseProvider`` or httpx's ``BaseTransport``, these small protocols are all the
layers above the gateway depend on. :class:`smsync.gateway.Client` implements them over the
web2sms HTTP API; a second gateway (another provider's API) or a test double implements the same
methods, and plan, apply and the broadcast sender take it unchanged. Typed results come from
:mod:`smsync.gateway.models`, refusals from :mod:`smsync.gateway.errors`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Protocol

from smsync.gateway.models import Contact, DeliveryStatus, Group, Page, SendResult


class PhonebookLister(Protocol):
    """Listing groups and contacts page by page (plan's read of the remote)."""

    def list_groups(self, page: int = 1, size: int = 10) -> Page[Group]: ...
    def list_contacts(self, page: int = 1, size: int = 10) -> Page[Contact]: ...
    def list_contacts_by_group(
        self, group: str, page: int = 1, size: int = 10
    ) -> Page[Contact]: ...


class PhonebookReader(PhonebookLister, Protocol):
    """Reading groups and contacts (plan, import)."""

    def get_contact(self, id: int) -> Contact: ...
    def find_by_number(self, number: str) -> list[Contact]: ...
    def find_group(self, name: str) -> list[Group]: ...


class Phonebook(PhonebookReader, Protocol):
    """Reading and changing groups and contacts (apply)."""

    def add_group(self, name: str) -> int | None: ...
    def edit_group(self, id: int, name: str) -> None: ...
    def delete_group(self, id: int) -> None: ...
    def add_contact(
        self,
        name: str,
        mobile: str,
        group: str,
        *,
        address: str | None = None,
        birth: date | None = None,
        desc: str | None = None,
    ) -> int | None: ...
    def edit_contact(
        self,
        id: int,
        name: str,
        mobile: str,
        group: str,
        *,
        address: str | None = None,
        birth: date | None = None,
        desc: str | None = None,
    ) -> None: ...
    def delete_contact(self, id: int) -> None: ...


class Sender(Protocol):
    """Sending messages and following them (broadcasts, status)."""

    def send_sms(self, mobile: str, message: str, *, trxid: str | None = None) -> SendResult: ...
    def send_wa(self, mobile: str, message: str, *, trxid: str | None = None) -> SendResult: ...
    def send_group(self, group: str, message: str) -> SendResult: ...
    def credits(self) -> Decimal: ...
    def report(self, msgid: str) -> DeliveryStatus: ...


class Gateway(Phonebook, Sender, Protocol):
    """Everything one project's workflow needs from its gateway (the Manager's session)."""
