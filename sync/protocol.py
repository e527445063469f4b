"""The wire format both sides share. docs/sync-protocol.md is the prose version of this file."""

from __future__ import annotations

PROTOCOL_VERSION = 1
MIN_CLIENT_PROTOCOL = 1  # older clients get 426 and a Chinese "please upgrade"

API = "/api/v1"
ENROLL = f"{API}/enroll"
BATCHES = f"{API}/batches"
FILES = f"{API}/files"  # /{sha256}: HEAD, PUT
PULL = f"{API}/pull"
PING = f"{API}/ping"
CERTIFICATES = f"{API}/certificates"  # POST: the station's public key, certificates issued and 作废 (#26)
VERIFY = "/verify"  # /{number}[?p=<payload>&s=<signature>]: public, no login (#26)
ROWS = f"{API}/rows"  # GET ?entity=…&after=id: the station's own rows as the district has them (recovery after a restore)
ROWS_PAGE = 500

HEADER_PROTOCOL = "X-Station-Protocol"

# Limits (the server enforces them; the client stays under them)
MAX_BATCH_ROWS = 4000  # what this district takes in one batch; each batch answer says so (max_batch_rows)
SAFE_BATCH_ROWS = 1000  # what every district takes (the limit before 0.3.0): a client's first batch, and all of them
#                         for a district that does not say (#29)
MAX_BODY_BYTES = 4 * 1024 * 1024  # compressed request body
MAX_JSON_BYTES = 6 * 1024 * 1024  # after gunzip (the client sends about 1 MB a batch)
MAX_JSON_CONTAINERS = 50_000  # objects and arrays in one body: bounds the memory a parsed body can take
MAX_FILE_BYTES = 20 * 1024 * 1024
PULL_PAGE = 500

# Per-row results
APPLIED = "applied"
DUPLICATE = "duplicate"  # the server already had this version or a newer one
REJECTED = "rejected"
STALE = "stale"  # the server has this version or a newer one with other content: resend above server_version

# The station-owned tables a batch may carry, parents before children.
ENTITIES = ("station", "function_room", "service_point", "volunteer", "team", "membership", "project", "project_team",
            "activity", "participation", "photo", "training", "document", "activity_plan",
            "household", "point_rule", "demand", "demand_event", "demand_hop", "point_entry", "goods", "stock_move")
# District-owned items a pull may carry (never pushed by a station).
PULLED = ("announcement", "rules", "national_mapping", "dispatch", "dispatch_withdrawn",
          "dispatch_progress",  # what another tier did with a demand this ledger handed on (五.2)
          "directory",  # the ledgers this one may 转派 to or 上报 to
          "person_links")  # this ledger's volunteers registered in other ledgers too: how many, their hours there (#30)


# -- the pull cursor (server-issued; the station keeps it and sends it back) --------------------------

def cursor_for(seq: int, item_id: str) -> str:
    """The pull cursor after an item: its seq and the start of its id, so that a district put back to an older
    backup, whose seqs are issued again to other items, is told from the one that issued the cursor."""
    return f"{seq}.{item_id[:8]}"


def cursor_seq(cursor: str) -> tuple[int, str | None]:
    """(seq, id tag) of a cursor; a cursor of an older program is the seq alone (no tag); anything else is 0."""
    text, _dot, tag = cursor.partition(".")
    seq = int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else 0
    return seq, (tag[:8] or None) if seq else None
