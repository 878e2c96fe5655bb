"""A saved plan holds one recipient per message, written by Recipient.to_json without
dataclasses.asdict (which deep-copies every field): it must write what asdict writes, key for
key and in the same order, and read back to the same recipient."""

from __future__ import annotations

import dataclasses
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from smsync.broadcast.model import Recipient

text = st.text(max_size=30)
recipients = st.builds(
    Recipient,
    number=text,
    mobile=text,
    name=text,
    group=text,
    message=st.text(max_size=200),
    encoding=st.sampled_from(["GSM-7", "UCS-2", ""]),
    segments=st.integers(0, 50),
    sms_segments=st.integers(0, 50),
    trxid=st.none() | text,
    state=st.sampled_from(["to_send", "sent", "suppressed", "pending_unknown"]),
    resume=st.booleans(),
    attempt=st.integers(0, 9),
    account=text,
)


@settings(deadline=None)  # no flaky timing on a busy CI machine
@given(recipients)
def test_a_recipient_is_written_as_asdict_writes_it_and_reads_back_the_same(r: Recipient) -> None:
    written = r.to_json()
    assert json.dumps(written) == json.dumps(dataclasses.asdict(r))  # same keys, same order
    assert Recipient.from_json(json.loads(json.dumps(written))) == r
