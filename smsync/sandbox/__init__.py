"""A local web2sms gateway: same paths, parameters, MD5 auth, return codes and record format as
the real one, persisted in SQLite, with latency and fault injection for chaos tests.

It shares no code with :mod:`smsync.gateway` on purpose: the MD5 formulas and record format are
a second, independent reading of the reference, so a misunderstanding cannot hide on both sides.

Usage::

    from smsync.sandbox import SandboxConfig, SandboxServer

    with SandboxServer(SandboxConfig(db_path="sandbox.db", port=0)) as srv:
        srv.store.upsert_account("demo", "demo-pass", credit=1000)
        print(srv.url)      # http://127.0.0.1:PORT  (API under /web2sms/api/)

Contract choices where the reference is silent (see docs/protocol.md; every assumed behaviour
is a :class:`SandboxConfig` switch):

* ``groupDelete`` of a group that still has members answers ``1705`` (conservative: the real
  server may delete or orphan the members; the client must delete members first).
* Contacts belong to exactly one existing group (``phbkAdd``/``phbkEdit`` into an unknown or
  empty group: ``1711``). ``phbkEdit`` changes only the parameters present; an empty ``birth``
  clears the date. The same number may exist twice, even in one group.
* ``page``/``size`` that are not positive integers: ``1705``; ``size`` above
  ``max_page_size`` is clamped silently. ``phbkGetListbyGroup`` of an unknown group: ``1704``.
* Only successful sends record their ``trxid``; a failed send (e.g. ``1708``) may be retried
  with the same ``trxid`` (``trxid_remembers_failures``: the first answer, even a failure after
  authentication, is the answer to every repeat). ``type`` other than 0/3: ``1705``.
* Lists replace the configured mode's two separators inside stored values by a space, so
  answers stay parseable (a ``€`` is text in the unicode mode); ``raw_fields`` prints values
  as stored, as a real gateway may.
* Faults (``fault_rate``, ``fault_kinds``, optionally only on ``fault_paths``): ``1703``,
  ``drop``, ``drop-after`` and ``403`` (HTTP 403 ``Forbidden``, nothing applied).
* ``SendWA.aspx`` accepts ``auth`` (MD5 like sendSMS) or a plain ``password``.
* ``Report.aspx`` ignores ``username``/``auth``. ``phbkGetCompleteData`` always answers the
  full record, whatever ``list_form`` says.
* A group send's body follows ``send_success`` with the batch id in place of the msgid.
* Dialects seen in public clients, each a switch (defaults: the most tolerant server):
  ``paths`` (phonebook lookups at ``phbkGetList``, ``phbk_getList`` or both), ``number_param``
  (phone search reads ``no``, ``number`` or either), ``credits_path`` (balance under
  ``web2sms/api/``, ``web2sms/`` or both), ``error_suffix`` (text after every error code, as a
  server that adds markup), ``md5_charset`` (``utf-8`` or ``cp1252``), ``proxy_port`` (the
  ``~proxy/*.php`` forms only on a second port, ``proxy_url``). ``load_dialect`` reads them
  from a JSON file (``smsync sandbox serve --dialect``, e.g. what ``smsync doctor --json``
  printed).

``smsync sandbox show --json`` prints :meth:`Store.snapshot`, a stable object::

    {
      "schema": 1,
      "accounts": [{"username": str, "credit": int, "dlr_url": str | null}],
      "groups":   [{"id": int, "account": str, "name": str}],
      "contacts": [{"id": int, "account": str, "name": str, "mobile": str, "group": str,
                    "address": str, "birth": "YYYY-MM-DD" | null, "desc": str}],
      "messages": [{"id": int, "msgid": str, "account": str, "trxid": str | null,
                    "channel": "sms" | "whatsapp", "mobile": str, "type": 0 | 3,
                    "text": str, "segments": int,
                    "status": "SENT" | "DELIVRD" | "UNDELIVRD" | "REJECTED" | "EXPIRED",
                    "batch_id": str | null, "created": "YYYY-MM-DDTHH:MM:SS.mmmZ"}]
    }

Lists are ordered by id; passwords never appear. New keys may be added; existing keys keep
their meaning (``schema`` changes if that ever breaks).
"""

from smsync.sandbox.config import ConfigError, SandboxConfig
from smsync.sandbox.server import SandboxServer
from smsync.sandbox.store import Contact, Store, StoreError

__all__ = ["ConfigError", "Contact", "SandboxConfig", "SandboxServer", "Store", "StoreError"]
