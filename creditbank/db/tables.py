"""Table models. The ledger tables are append-only (database triggers enforce it); the
projection tables are derived state that ``creditbank rebuild`` can recompute from the log.

These models are the schema: the Alembic migrations create exactly what they declare
(``tests/test_schema.py`` compares the migrated database with them on both engines, and
``alembic revision --autogenerate`` diffs against them). Hot paths write through
SQLAlchemy Core on their ``__table__`` (bulk inserts) or the ledger store's raw-SQL fast
path; typed reads select the models.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel


class LogEntry(SQLModel, table=True):
    """One ledger entry: its RFC 8785 bytes are the Merkle leaf."""

    __tablename__ = "log_entries"
    __table_args__ = (UniqueConstraint("actor", "idem_key", name="uq_log_entries_idem"),)

    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    actor: str = Field(sa_column=Column(String(64), nullable=False))
    idem_key: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    statement_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class TreeNode(SQLModel, table=True):
    """Hash of a complete subtree (level, index); tlog-tiles tiles are runs of these."""

    __tablename__ = "tree_nodes"

    level: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Checkpoint(SQLModel, table=True):
    """Every signed checkpoint the log has issued, verbatim."""

    __tablename__ = "checkpoints"

    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))


class LogState(SQLModel, table=True):
    """The single mutable row the sequencer locks: current size, root and clock."""

    __tablename__ = "log_state"

    id: int = Field(default=1, primary_key=True)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    integrated_at: str = Field(sa_column=Column(String(40), nullable=False))


class Actor(SQLModel, table=True):
    """Projection: registered actors (authority, providers, certifying bodies)."""

    __tablename__ = "actors"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    role: str = Field(sa_column=Column(String(32), nullable=False))
    name: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    registered_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_index: int = Field(sa_column=Column(BigInteger, nullable=False))


class ActorKey(SQLModel, table=True):
    """Projection: every author key ever added, with the log positions bounding its use."""

    __tablename__ = "actor_keys"

    key_id: str = Field(sa_column=Column(String(64), primary_key=True))
    actor_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    added_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    revoked_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class PublishedStandard(SQLModel, table=True):
    """Projection: every published version of every standard, with its full document."""

    __tablename__ = "published_standards"

    standard_id: str = Field(sa_column=Column(String(64), primary_key=True))
    version: str = Field(sa_column=Column(String(32), primary_key=True))
    content_hash: str = Field(sa_column=Column(String(64), nullable=False))
    document: str = Field(sa_column=Column(Text, nullable=False))
    published_index: int = Field(sa_column=Column(BigInteger, nullable=False))


class PublishedProgram(SQLModel, table=True):
    """Projection: every published version of every program (the money rules of a year)."""

    __tablename__ = "published_programs"

    program_id: str = Field(sa_column=Column(String(64), primary_key=True))
    version: str = Field(sa_column=Column(String(32), primary_key=True))
    year: int = Field(sa_column=Column(Integer, nullable=False))
    content_hash: str = Field(sa_column=Column(String(64), nullable=False))
    document: str = Field(sa_column=Column(Text, nullable=False))
    published_index: int = Field(sa_column=Column(BigInteger, nullable=False))


class Course(SQLModel, table=True):
    """Projection: a provider's course, registered against one unit of one standard level."""

    __tablename__ = "courses"

    provider: str = Field(sa_column=Column(String(64), primary_key=True))
    course_id: str = Field(sa_column=Column(String(64), primary_key=True))
    title: str = Field(sa_column=Column(Text, nullable=False))
    standard_id: str = Field(sa_column=Column(String(64), nullable=False))
    standard_version: str = Field(sa_column=Column(String(32), nullable=False))
    level: int = Field(sa_column=Column(SmallInteger, nullable=False))
    unit_code: str = Field(sa_column=Column(String(32), nullable=False))
    mode: str = Field(sa_column=Column(String(16), nullable=False))
    hours_tenths: int = Field(sa_column=Column(Integer, nullable=False))
    min_score: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    registered_index: int = Field(sa_column=Column(BigInteger, nullable=False))


class CourseRecognition(SQLModel, table=True):
    """Projection: the authority's recognitions of a course, each with its validity."""

    __tablename__ = "course_recognitions"
    __table_args__ = (Index("ix_course_recognitions_course", "provider", "course_id"),)

    recognized_index: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False)
    )
    provider: str = Field(sa_column=Column(String(64), nullable=False))
    course_id: str = Field(sa_column=Column(String(64), nullable=False))
    credits_tenths: int = Field(sa_column=Column(Integer, nullable=False))
    valid_from: str = Field(sa_column=Column(String(40), nullable=False))
    valid_until: str = Field(sa_column=Column(String(40), nullable=False))


class CertifierStandard(SQLModel, table=True):
    """Projection: the standards a certifying body is accredited for."""

    __tablename__ = "certifier_standards"

    actor_id: str = Field(sa_column=Column(String(64), primary_key=True))
    standard_id: str = Field(sa_column=Column(String(64), primary_key=True))


class LearnerAccount(SQLModel, table=True):
    """Projection: learner accounts as the ledger knows them (account numbers only)."""

    __tablename__ = "learner_accounts"

    account: str = Field(sa_column=Column(String(13), primary_key=True))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    opened_by: str = Field(sa_column=Column(String(64), nullable=False))
    opened_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_index: int = Field(sa_column=Column(BigInteger, nullable=False))


class LearnerEntry(SQLModel, table=True):
    """Projection: which entries concern which learner (their history, their export)."""

    __tablename__ = "learner_entries"

    account: str = Field(sa_column=Column(String(13), primary_key=True))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(sa_column=Column(String(64), nullable=False))


class LearnerVault(SQLModel, table=True):
    """Off the ledger: a learner's personal data, sealed under a per-learner data key."""

    __tablename__ = "learner_vault"

    account: str = Field(sa_column=Column(String(13), primary_key=True))
    id_lookup: str | None = Field(default=None, sa_column=Column(String(64), unique=True))
    wrapped_key: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    ciphertext: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    created_at: str = Field(sa_column=Column(String(40), nullable=False))
    erased_at: str | None = Field(default=None, sa_column=Column(String(40)))


class LearnerCredential(SQLModel, table=True):
    """Off the ledger: a learner's password hash, activation code hash and lockout state."""

    __tablename__ = "learner_credentials"

    account: str = Field(sa_column=Column(String(13), primary_key=True))
    password_hash: str | None = Field(default=None, sa_column=Column(Text))
    activation_hash: str | None = Field(default=None, sa_column=Column(String(64)))
    activation_expires: str | None = Field(default=None, sa_column=Column(String(40)))
    failed_attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    locked_until: str | None = Field(default=None, sa_column=Column(String(40)))


class ApiToken(SQLModel, table=True):
    """Off the ledger: bearer tokens, stored only as SHA-256 hashes."""

    __tablename__ = "api_tokens"

    token_id: str = Field(sa_column=Column(String(16), primary_key=True))
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    actor_id: str | None = Field(default=None, sa_column=Column(String(64)))
    account: str | None = Field(default=None, sa_column=Column(String(13)))
    label: str = Field(sa_column=Column(Text, nullable=False))
    created_at: str = Field(sa_column=Column(String(40), nullable=False))
    expires_at: str = Field(sa_column=Column(String(40), nullable=False))
    revoked_at: str | None = Field(default=None, sa_column=Column(String(40)))


class AuthEvent(SQLModel, table=True):
    """Off the ledger: authentication failures and lockouts, without secrets."""

    __tablename__ = "auth_events"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    at: str = Field(sa_column=Column(String(40), nullable=False))
    event: str = Field(sa_column=Column(String(32), nullable=False))
    subject: str | None = Field(default=None, sa_column=Column(String(64)))
    detail: str = Field(sa_column=Column(Text, nullable=False))


class Completion(SQLModel, table=True):
    """Projection: every completion with its outcome (awarded or the reason it was not)."""

    __tablename__ = "completions"

    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    provider: str = Field(sa_column=Column(String(64), nullable=False))
    completion_id: str = Field(sa_column=Column(String(200), nullable=False))
    learner: str = Field(sa_column=Column(String(13), nullable=False, index=True))
    course_id: str = Field(sa_column=Column(String(64), nullable=False))
    completed_at: str = Field(sa_column=Column(String(40), nullable=False))
    score: int | None = Field(default=None, sa_column=Column(SmallInteger))
    passed: bool = Field(sa_column=Column(Boolean, nullable=False))
    outcome: str = Field(sa_column=Column(String(24), nullable=False))
    award_index: int | None = Field(default=None, sa_column=Column(BigInteger))
    retracted_index: int | None = Field(default=None, sa_column=Column(BigInteger))


class CreditAward(SQLModel, table=True):
    """Projection: credit awards, with expiry and revocation."""

    __tablename__ = "awards"
    __table_args__ = (Index("ix_awards_learner", "learner", "standard_id", "level"),)

    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    learner: str = Field(sa_column=Column(String(13), nullable=False))
    standard_id: str = Field(sa_column=Column(String(64), nullable=False))
    level: int = Field(sa_column=Column(SmallInteger, nullable=False))
    unit_code: str = Field(sa_column=Column(String(32), nullable=False))
    provider: str = Field(sa_column=Column(String(64), nullable=False))
    course_id: str = Field(sa_column=Column(String(64), nullable=False))
    credits_tenths: int = Field(sa_column=Column(Integer, nullable=False))
    mode: str = Field(sa_column=Column(String(16), nullable=False))
    completion_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    completed_at: str = Field(sa_column=Column(String(40), nullable=False))
    expires_at: str = Field(sa_column=Column(String(40), nullable=False))
    revoked_index: int | None = Field(default=None, sa_column=Column(BigInteger))


class Eligibility(SQLModel, table=True):
    """Projection: the last logged eligibility of a learner for a standard's level."""

    __tablename__ = "eligibility"

    learner: str = Field(sa_column=Column(String(13), primary_key=True))
    standard_id: str = Field(sa_column=Column(String(64), primary_key=True))
    level: int = Field(sa_column=Column(SmallInteger, primary_key=True))
    eligible: bool = Field(sa_column=Column(Boolean, nullable=False))
    changed_index: int = Field(sa_column=Column(BigInteger, nullable=False))


class Certificate(SQLModel, table=True):
    """Projection: certificates, the awards they rest on, and their revocation."""

    __tablename__ = "certificates"
    __table_args__ = (Index("ix_certificates_learner", "learner", "standard_id", "level"),)

    number: str = Field(sa_column=Column(String(48), primary_key=True))
    learner: str = Field(sa_column=Column(String(13), nullable=False))
    standard_id: str = Field(sa_column=Column(String(64), nullable=False))
    level: int = Field(sa_column=Column(SmallInteger, nullable=False))
    issuer: str = Field(sa_column=Column(String(64), nullable=False))
    issued_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    issued_at: str = Field(sa_column=Column(String(40), nullable=False))
    awards: str = Field(sa_column=Column(Text, nullable=False))
    assessment: str = Field(sa_column=Column(Text, nullable=False))
    revoked_index: int | None = Field(default=None, sa_column=Column(BigInteger))
    revoked_reason: str | None = Field(default=None, sa_column=Column(Text))
    application_index: int | None = Field(default=None, sa_column=Column(BigInteger))


class CertificateApplication(SQLModel, table=True):
    """Projection: learners' applications for certificates and their assessment."""

    __tablename__ = "certificate_applications"
    __table_args__ = (
        Index("ix_applications_learner", "learner", "standard_id", "level"),
        Index("ix_applications_status", "status", "standard_id"),
    )

    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    learner: str = Field(sa_column=Column(String(13), nullable=False))
    standard_id: str = Field(sa_column=Column(String(64), nullable=False))
    level: int = Field(sa_column=Column(SmallInteger, nullable=False))
    # pending -> assessed (passed) -> issued; or pending -> failed
    status: str = Field(sa_column=Column(String(16), nullable=False))
    applied_at: str = Field(sa_column=Column(String(40), nullable=False))
    assessor: str | None = Field(default=None, sa_column=Column(String(64)))
    assessment: str | None = Field(default=None, sa_column=Column(Text))
    assessed_index: int | None = Field(default=None, sa_column=Column(BigInteger))
    certificate_number: str | None = Field(default=None, sa_column=Column(String(48)))


class Reward(SQLModel, table=True):
    """Projection: a learner's reward for a certificate (id: the index of its first entry)."""

    __tablename__ = "rewards"
    __table_args__ = (
        Index("ix_rewards_program", "program_id", "status"),
        Index("ix_rewards_learner", "learner", "year"),
        Index("ix_rewards_certificate", "certificate_number"),
    )

    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    learner: str = Field(sa_column=Column(String(13), nullable=False))
    certificate_number: str = Field(sa_column=Column(String(48), nullable=False))
    program_id: str = Field(sa_column=Column(String(64), nullable=False))
    year: int = Field(sa_column=Column(Integer, nullable=False))
    level: int = Field(sa_column=Column(SmallInteger, nullable=False))
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    # pending_budget | granted | paid | cancelled | clawback_due
    status: str = Field(sa_column=Column(String(16), nullable=False))
    granted_index: int | None = Field(default=None, sa_column=Column(BigInteger))
    paid_index: int | None = Field(default=None, sa_column=Column(BigInteger))
    payment_reference: str | None = Field(default=None, sa_column=Column(String(100)))
    cancelled_index: int | None = Field(default=None, sa_column=Column(BigInteger))


class Budget(SQLModel, table=True):
    """Projection: a program's budget as last set by ``budget.set`` (else the program's)."""

    __tablename__ = "budgets"

    program_id: str = Field(sa_column=Column(String(64), primary_key=True))
    kind: str = Field(sa_column=Column(String(16), primary_key=True))  # reward | subsidy
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    set_index: int = Field(sa_column=Column(BigInteger, nullable=False))


class Subsidy(SQLModel, table=True):
    """Projection: the subsidy a certificate generated (id: its ``subsidy.entitled`` index)."""

    __tablename__ = "subsidies"
    __table_args__ = (
        Index("ix_subsidies_learner", "learner", "year"),
        Index("ix_subsidies_certificate", "certificate_number"),
    )

    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    learner: str = Field(sa_column=Column(String(13), nullable=False))
    certificate_number: str = Field(sa_column=Column(String(48), nullable=False))
    program_id: str = Field(sa_column=Column(String(64), nullable=False))
    year: int = Field(sa_column=Column(Integer, nullable=False))
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    issued_at: str = Field(sa_column=Column(String(40), nullable=False))
    claim_until: str = Field(sa_column=Column(String(40), nullable=False))


class SubsidyPart(SQLModel, table=True):
    """Projection: one provider's part of a subsidy, the entitlement it claims."""

    __tablename__ = "subsidy_parts"
    __table_args__ = (
        Index("ix_subsidy_parts_provider", "provider", "status"),
        Index("ix_subsidy_parts_program", "program_id", "status"),
    )

    entitlement_index: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False)
    )
    provider: str = Field(sa_column=Column(String(64), primary_key=True))
    program_id: str = Field(sa_column=Column(String(64), nullable=False))
    credits_tenths: int = Field(sa_column=Column(Integer, nullable=False))
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    # open | claimed | approved | rejected | paid | cancelled | clawback_due
    status: str = Field(sa_column=Column(String(16), nullable=False))
    claimed_index: int | None = Field(default=None, sa_column=Column(BigInteger))
    decided_index: int | None = Field(default=None, sa_column=Column(BigInteger))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    paid_index: int | None = Field(default=None, sa_column=Column(BigInteger))
    payment_reference: str | None = Field(default=None, sa_column=Column(String(100)))
    cancelled_index: int | None = Field(default=None, sa_column=Column(BigInteger))


# --- federation (ADR 0017): witnessing and cosignatures, off the ledger; recognitions ---


class CheckpointCosignature(SQLModel, table=True):
    """A witness's ``cosignature/v1`` line on one of this log's checkpoints, as it came."""

    __tablename__ = "checkpoint_cosignatures"

    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    witness: str = Field(sa_column=Column(String(200), primary_key=True))
    line: str = Field(sa_column=Column(Text, nullable=False))
    cosigned_at: str = Field(sa_column=Column(String(40), nullable=False))


class CosignerState(SQLModel, table=True):
    """Per witness this log asks: the size it last cosigned (the next request's old size)."""

    __tablename__ = "cosigner_state"

    witness: str = Field(sa_column=Column(String(200), primary_key=True))
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: str = Field(sa_column=Column(String(40), nullable=False))


class WitnessedLog(SQLModel, table=True):
    """Per peer log this bank witnesses: the latest checkpoint it cosigned."""

    __tablename__ = "witnessed_logs"

    origin: str = Field(sa_column=Column(String(200), primary_key=True))
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: str = Field(sa_column=Column(String(40), nullable=False))


class WitnessedRoot(SQLModel, table=True):
    """Every (size, root) the witness cosigned for a peer log: a second root of a size in
    here is a fork."""

    __tablename__ = "witnessed_roots"

    origin: str = Field(sa_column=Column(String(200), primary_key=True))
    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class SplitView(SQLModel, table=True):
    """Evidence of a split view: a peer log's signed checkpoint the witness refused
    because it contradicts what the witness cosigned before (both notes, verbatim)."""

    __tablename__ = "split_views"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    origin: str = Field(sa_column=Column(String(200), nullable=False, index=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    observed_at: str = Field(sa_column=Column(String(40), nullable=False))
    known_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    known_note: str = Field(sa_column=Column(Text, nullable=False))
    old_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    submitted: str = Field(sa_column=Column(Text, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))


class RecognitionAgreement(SQLModel, table=True):
    """Projection: the authority's agreements to recognise a peer bank's records."""

    __tablename__ = "recognition_agreements"

    agreement_id: str = Field(sa_column=Column(String(64), primary_key=True))
    peer_origin: str = Field(sa_column=Column(String(200), nullable=False))
    terms: str = Field(sa_column=Column(Text, nullable=False))
    valid_from: str = Field(sa_column=Column(String(40), nullable=False))
    valid_until: str = Field(sa_column=Column(String(40), nullable=False))
    agreed_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    ended_index: int | None = Field(default=None, sa_column=Column(BigInteger))


class Recognition(SQLModel, table=True):
    """Projection: a peer certificate or credit award recognised for a learner here."""

    __tablename__ = "recognitions"
    __table_args__ = (
        UniqueConstraint("peer_origin", "peer_ref", name="uq_recognitions_peer_ref"),
        Index("ix_recognitions_learner", "learner", "standard_id", "level"),
    )

    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    learner: str = Field(sa_column=Column(String(13), nullable=False))
    record: str = Field(sa_column=Column(String(16), nullable=False))
    agreement_id: str = Field(sa_column=Column(String(64), nullable=False))
    peer_origin: str = Field(sa_column=Column(String(200), nullable=False))
    peer_ref: str = Field(sa_column=Column(String(64), nullable=False))
    standard_id: str = Field(sa_column=Column(String(64), nullable=False))
    level: int = Field(sa_column=Column(SmallInteger, nullable=False))
    unit_code: str | None = Field(default=None, sa_column=Column(String(32)))
    credits_tenths: int | None = Field(default=None, sa_column=Column(Integer))
    expires_at: str | None = Field(default=None, sa_column=Column(String(40)))
    request_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    revoked_index: int | None = Field(default=None, sa_column=Column(BigInteger))


class LrsStatement(SQLModel, table=True):
    """Off the ledger: xAPI statements as the LRS stores them, each with what it meant for
    the ledger (``outcome``: credited, not_credited, none; ADR 0014)."""

    __tablename__ = "lrs_statements"
    __table_args__ = (
        UniqueConstraint("provider", "statement_id", name="uq_lrs_statements_id"),
        Index("ix_lrs_statements_seq", "provider", "seq"),
        Index("ix_lrs_statements_verb", "provider", "verb_id"),
        Index("ix_lrs_statements_activity", "provider", "activity_id"),
        Index("ix_lrs_statements_agent", "provider", "agent"),
        Index("ix_lrs_statements_registration", "provider", "registration"),
    )

    seq: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    provider: str = Field(sa_column=Column(String(64), nullable=False))
    statement_id: str = Field(sa_column=Column(String(36), nullable=False))
    stored: str = Field(sa_column=Column(String(40), nullable=False))
    verb_id: str = Field(sa_column=Column(Text, nullable=False))
    activity_id: str | None = Field(default=None, sa_column=Column(Text))
    agent: str | None = Field(default=None, sa_column=Column(Text))
    registration: str | None = Field(default=None, sa_column=Column(String(36)))
    voids: str | None = Field(default=None, sa_column=Column(String(36)))
    voided: bool = Field(sa_column=Column(Boolean, nullable=False))
    digest: str = Field(sa_column=Column(String(64), nullable=False))
    document: str = Field(sa_column=Column(Text, nullable=False))
    outcome: str = Field(sa_column=Column(String(16), nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    ledger_index: int | None = Field(default=None, sa_column=Column(BigInteger))
    receipt: str | None = Field(default=None, sa_column=Column(Text))


class LrsLearner(SQLModel, table=True):
    """Off the ledger: which LMS account (an xAPI agent identifier) is which learner
    account, per provider."""

    __tablename__ = "lrs_learners"

    provider: str = Field(sa_column=Column(String(64), primary_key=True))
    agent: str = Field(sa_column=Column(Text, primary_key=True))
    learner: str = Field(sa_column=Column(String(13), nullable=False))
    linked_at: str = Field(sa_column=Column(String(40), nullable=False))


class LrsCourse(SQLModel, table=True):
    """Off the ledger: which xAPI activity IRI is which of the provider's courses."""

    __tablename__ = "lrs_courses"

    provider: str = Field(sa_column=Column(String(64), primary_key=True))
    activity_id: str = Field(sa_column=Column(Text, primary_key=True))
    course_id: str = Field(sa_column=Column(String(64), nullable=False))
    linked_at: str = Field(sa_column=Column(String(40), nullable=False))


class LrsLinkCode(SQLModel, table=True):
    """Off the ledger: one-time codes a provider issues for one LMS account (an xAPI agent
    identifier, as in lrs_learners), stored as SHA-256; the learner redeeming one links
    that account to their own (docs/xapi.md)."""

    __tablename__ = "lrs_link_codes"
    __table_args__ = (Index("ix_lrs_link_codes_agent", "provider", "agent"),)

    code_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    provider: str = Field(sa_column=Column(String(64), nullable=False))
    agent: str = Field(sa_column=Column(Text, nullable=False))
    issued_at: str = Field(sa_column=Column(String(40), nullable=False))
    expires_at: str = Field(sa_column=Column(String(40), nullable=False))
    used: bool = Field(sa_column=Column(Boolean, nullable=False))


APPEND_ONLY_TABLES = ("log_entries", "tree_nodes", "checkpoints")
PROJECTION_TABLES = (
    "actors",
    "actor_keys",
    "certifier_standards",
    "published_standards",
    "published_programs",
    "courses",
    "course_recognitions",
    "learner_accounts",
    "learner_entries",
    "completions",
    "awards",
    "eligibility",
    "certificates",
    "certificate_applications",
    "rewards",
    "budgets",
    "subsidies",
    "subsidy_parts",
    "recognition_agreements",
    "recognitions",
)


def projection_tables() -> list[Table]:
    """The projection tables, in dependency order."""
    return [SQLModel.metadata.tables[name] for name in PROJECTION_TABLES]


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]  # set by SQLModel's metaclass
    return table


# Typed handles for Core queries (bulk inserts and reads on the hot paths).
log_entries = _table(LogEntry)
tree_nodes = _table(TreeNode)
checkpoints = _table(Checkpoint)
log_state = _table(LogState)
actors = _table(Actor)
actor_keys = _table(ActorKey)
published_standards = _table(PublishedStandard)
published_programs = _table(PublishedProgram)
courses = _table(Course)
course_recognitions = _table(CourseRecognition)
certifier_standards = _table(CertifierStandard)
learner_accounts = _table(LearnerAccount)
learner_entries = _table(LearnerEntry)
learner_vault = _table(LearnerVault)
learner_credentials = _table(LearnerCredential)
api_tokens = _table(ApiToken)
auth_events = _table(AuthEvent)
completions = _table(Completion)
awards = _table(CreditAward)
eligibility = _table(Eligibility)
certificates = _table(Certificate)
certificate_applications = _table(CertificateApplication)
rewards = _table(Reward)
budgets = _table(Budget)
subsidies = _table(Subsidy)
subsidy_parts = _table(SubsidyPart)
checkpoint_cosignatures = _table(CheckpointCosignature)
cosigner_state = _table(CosignerState)
witnessed_logs = _table(WitnessedLog)
witnessed_roots = _table(WitnessedRoot)
split_views = _table(SplitView)
recognition_agreements = _table(RecognitionAgreement)
recognitions = _table(Recognition)
lrs_statements = _table(LrsStatement)
lrs_learners = _table(LrsLearner)
lrs_courses = _table(LrsCourse)
lrs_link_codes = _table(LrsLinkCode)
