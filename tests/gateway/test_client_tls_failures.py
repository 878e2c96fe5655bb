"""A TLS failure is "never sent" only when it happened in the handshake: a certificate refused
before any request byte left. One raised while the answer was read (the request was written)
may have been applied, so a write is never repeated blindly after it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsync.gateway.client import Client
from smsync.gateway.errors import TransportError
from tests.support.tls import GarblingTlsGateway

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture
def garbling(tmp_path: Path) -> Iterator[GarblingTlsGateway]:
    gateway = GarblingTlsGateway(tmp_path)
    try:
        yield gateway
    finally:
        gateway.close()


def test_a_certificate_refused_in_the_handshake_is_never_sent(
    garbling: GarblingTlsGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)  # the self-signed cert is unknown
    with (
        Client(garbling.url, "demo", "pw", retries=0) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.add_group("Kantor")

    assert caught.value.maybe_applied is False
    assert garbling.requests == 0


def test_tls_broken_while_the_answer_is_read_may_have_been_applied(
    garbling: GarblingTlsGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(garbling.cert))
    with (
        Client(garbling.url, "demo", "pw", retries=2) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.add_group("Kantor")

    assert caught.value.maybe_applied is True
    assert garbling.requests == 1  # a write that may have been applied is not repeated
