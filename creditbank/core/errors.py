"""The domain error hierarchy, mapped once to HTTP problem details (RFC 9457).

    CreditBankError                 base; never raised itself
    ├── InvalidInput          422   malformed or out-of-range input (names the field)
    │   ├── EntryTooLarge     413   an entry over the 64 KiB tlog-tiles bundle limit
    │   └── BadSignature      422   a signature that does not verify, or an unknown key
    ├── Unauthenticated       401   no or bad credentials
    ├── Forbidden             403   authenticated, but the role or key does not allow it
    │   └── KeyRevoked        403   the statement's key was not active when logged
    ├── NotFound              404   no such entry, actor, learner, ...
    ├── Conflict              409   state conflicts: idempotency key reused with other bytes
    ├── RuleViolation         422   input is well formed but a rule of the bank refuses it
    ├── Unavailable           503   the service cannot take writes right now
    └── IntegrityFailure      500   a broken invariant (audit finding, corrupt storage)

Rule *outcomes* (a completion that earns no credit, a learner not yet eligible) are data,
not exceptions; these errors are for input that must be refused with nothing written.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CreditBankError(Exception):
    """Base of every error the bank raises on purpose."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "error"
    title: ClassVar[str] = "Error"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra

    def __reduce__(self) -> tuple[Any, ...]:
        # keyword arguments survive pickling (errors cross from the sequencer's process)
        return (_rebuild, (type(self), self.detail, self.field, self.extra))

    def problem(self) -> dict[str, Any]:
        """The RFC 9457 problem-details body for this error."""
        body: dict[str, Any] = {
            "type": f"https://creditbank.local/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.field is not None:
            body["field"] = self.field
        body.update(self.extra)
        return body


def _rebuild(
    cls: type[CreditBankError], detail: str, field: str | None, extra: dict[str, Any]
) -> CreditBankError:
    return cls(detail, field=field, **extra)


class InvalidInput(CreditBankError):
    status = 422
    slug = "invalid-input"
    title = "Invalid input"


class EntryTooLarge(InvalidInput):
    status = 413
    slug = "entry-too-large"
    title = "Entry too large"


class BadSignature(InvalidInput):
    slug = "bad-signature"
    title = "Signature not accepted"


class Unauthenticated(CreditBankError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"


class Forbidden(CreditBankError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class KeyRevoked(Forbidden):
    slug = "key-revoked"
    title = "Key not active"


class NotFound(CreditBankError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(CreditBankError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class RuleViolation(CreditBankError):
    status = 422
    slug = "rule-violation"
    title = "Refused by the bank's rules"


class Unavailable(CreditBankError):
    status = 503
    slug = "unavailable"
    title = "Service unavailable"


class IntegrityFailure(CreditBankError):
    status = 500
    slug = "integrity-failure"
    title = "Integrity failure"


class VerificationError(Exception):
    """Raised by the offline verifier (creditbank.core.verify); kept separate from the server's
    hierarchy so the verifier can be vendored alone."""
