"""The certificates domain's tables on the ledger's write path. Other domains ask here
whether a learner holds a certificate (a prerequisite of the next level; no
``eligibility.lost`` once certified)."""

from __future__ import annotations

from sqlalchemy import Connection

from creditbank.ledger import store


def has_active_certificate(conn: Connection, learner: str, standard_id: str, level: int) -> bool:
    """Whether the learner holds an unrevoked certificate of that standard and level."""
    return bool(
        store.query(
            conn,
            "SELECT 1 FROM certificates WHERE learner = ? AND standard_id = ? AND level = ? "
            "AND revoked_index IS NULL",
            (learner, standard_id, level),
        )
    )
