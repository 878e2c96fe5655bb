"""The gateway's documented limits, in one place (each with where the reference says so)."""

from __future__ import annotations

#: "trxID … (Optional, max 50 char, type string)" — sendSMS.aspx and SendWA.aspx.
MAX_TRXID = 50
#: "Message: Text Message (encoded, max 5000 chars)" — sendSMS.aspx, SendWA.aspx.
MAX_MESSAGE_CHARS = 5000
#: "Msg: Text Message (encoded, max 160 chars)" — SendSMSGroup.aspx.
MAX_GROUP_MESSAGE_CHARS = 160
#: "For searching, only return the first 10 rows" — phbkFindName, phbkFindPhNumber, groupFind.
SEARCH_CAP = 10
#: "size: number of records per page (default=10)": any gateway serves at least this many rows
#: per page, so a shorter page is always the last one of a listing.
GUARANTEED_PAGE_ROWS = 10
