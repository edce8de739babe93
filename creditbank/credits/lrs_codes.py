"""Learners link their own LMS accounts (docs/xapi.md, step 5; ADR 0014).

A link a learner asserted alone would let anyone claim another person's LMS account and
the credits its statements earn. So the provider vouches for the LMS identity: it issues
a one-time code for one LMS account (an xAPI agent), gives it to its user, and the learner
redeems it in their own account, which is their consent. Redeeming sets the provider's
link agent -> learner exactly as the provider's ``PUT /xapi/links/learners`` does, off
the ledger like every link: the completion entry carries the resolved learner, so audit
does not need the links.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Engine

from creditbank.core.accounts import check_account_number
from creditbank.core.entry import ACTOR_RE, format_time
from creditbank.core.errors import InvalidInput, NotFound
from creditbank.core.paging import PageRequest
from creditbank.core.xapi import link_codes
from creditbank.credits import lrs, lrs_store
from creditbank.ports import BankServices

NOT_VALID = "the code is not valid or has expired: ask the provider for a new one"


def issue_code(bank: BankServices, provider: str, agent: object) -> dict[str, Any]:
    """A new one-time code for the provider's LMS account ``agent`` (valid 7 days); it
    replaces the agent's earlier unused codes. Only its hash is kept."""
    ifi = lrs.agent_ifi(agent)
    now = bank.ledger.clock()
    code = link_codes.format_code(secrets.token_bytes(link_codes.RANDOM_BYTES))
    expires_at = format_time(link_codes.expires(now))
    with bank.engine.begin() as conn:
        lrs_store.add_code(
            conn, provider, ifi, link_codes.code_hash(code), format_time(now), expires_at
        )
    return {"code": code, "agent": link_codes.agent_of(ifi), "expires_at": expires_at}


def redeem_code(bank: BankServices, learner: str, provider: str, code: str) -> dict[str, Any]:
    """The learner redeems ``provider``'s code: the code's LMS account is linked to them
    (replacing any earlier link of it) and the code is used, in one transaction. A wrong,
    expired, used or other provider's code is one InvalidInput naming ``code``."""
    check_account_number(learner)
    if not isinstance(provider, str) or not ACTOR_RE.match(provider):
        raise InvalidInput("provider must be a provider's id", field="provider")
    normalized = link_codes.normalize(code) if isinstance(code, str) else None
    if normalized is None:
        raise InvalidInput(NOT_VALID, field="code")
    linked_at = format_time(bank.ledger.clock())
    with bank.engine.begin() as conn:
        if not lrs_store.learner_exists(conn, learner):
            raise NotFound(f"no learner account {learner}", field="account")
        agent = lrs_store.use_code(conn, provider, link_codes.code_hash(normalized), linked_at)
        if agent is None:
            raise InvalidInput(NOT_VALID, field="code")
        lrs_store.link(conn, "lrs_learners", provider, agent, learner, linked_at)
    return {"provider": provider, "agent": link_codes.agent_of(agent), "linked_at": linked_at}


def _cursor(page: PageRequest | None) -> tuple[str, str] | None:
    after = None if page is None else page.after_as("")
    if after is None:
        return None
    provider, _, agent = str(after).partition(" ")  # a provider id holds no space
    return provider, agent


def key(link: dict[str, Any]) -> str:
    """A link's place in the learner's list (the page cursor's key)."""
    return f"{link['provider']} {link['agent_id']}"


def learner_links(
    engine: Engine, learner: str, page: PageRequest | None = None
) -> list[dict[str, Any]]:
    """The LMS accounts linked to ``learner``, by provider and agent (with a page request:
    those after its cursor, one more than its limit). Each has ``agent_id``, the agent's
    identifier string, for the page key."""
    limit = None if page is None else page.limit + 1
    with engine.connect() as conn:
        rows = lrs_store.learner_links(conn, learner, _cursor(page), limit)
    return [
        {
            "provider": provider,
            "agent": link_codes.agent_of(agent),
            "agent_id": agent,
            "linked_at": linked_at,
        }
        for provider, agent, linked_at in rows
    ]


def unlink(bank: BankServices, learner: str, provider: str, agent: object) -> None:
    """The learner removes the provider's link of an LMS account to them: that account's
    statements are stored and no longer credited to them (NotFound if there is no such
    link of theirs)."""
    check_account_number(learner)
    if not isinstance(provider, str) or not ACTOR_RE.match(provider):
        raise InvalidInput("provider must be a provider's id", field="provider")
    ifi = lrs.agent_ifi(agent)
    with bank.engine.begin() as conn:
        if not lrs_store.unlink_learner(conn, learner, provider, ifi):
            raise NotFound(f"{provider} links no such LMS account to {learner}", field="agent")
