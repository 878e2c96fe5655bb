"""An answer the client cannot read is quoted in the error, but never the names and numbers it
holds: errors reach CI logs, where plan output is masked too."""

from __future__ import annotations

import pytest

from smsync.gateway import Client, ProtocolError
from tests.support.sandbox import PASSWORD, USERNAME
from tests.support.scripted_server import ScriptedServer

F, R = "\u0080", "\u0081"


def _client(url: str) -> Client:
    return Client(url, USERNAME, PASSWORD, retries=1, backoff=0.001, read_timeout=5.0)


def test_an_unreadable_search_answer_is_quoted_without_its_names_and_numbers(
    scripted: ScriptedServer,
) -> None:
    record = F.join(["x1", "Budi Santoso", "081234567890", "Kantor", "Jl. Melati 3", "", ""])
    scripted.always(body=(record + R).encode())
    with _client(scripted.url) as c, pytest.raises(ProtocolError) as info:
        c.find_by_number("081234567890")
    message = str(info.value)
    assert "phbkFindPhNumber" in message
    for secret in ("Budi", "Santoso", "081234567890", "Melati", "Kantor"):
        assert secret not in message, message


def test_a_non_record_answer_is_quoted_with_its_numbers_masked(scripted: ScriptedServer) -> None:
    scripted.always(body=b"Unexpected: number 081234567890 rejected by upstream")
    with _client(scripted.url) as c, pytest.raises(ProtocolError) as info:
        c.list_groups(page=1, size=10)
    message = str(info.value)
    assert "081234567890" not in message
    assert "0812*****890" in message
