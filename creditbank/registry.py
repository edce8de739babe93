"""Which handler rules which kind of entry. Each domain module contributes its kinds."""

from __future__ import annotations

from creditbank.access.handlers import (
    AccountClosedHandler,
    AccountErasedHandler,
    AccountOpenedHandler,
)
from creditbank.catalogue.handlers import (
    CourseRecognizedHandler,
    CourseRegisteredHandler,
    DocumentPublishedHandler,
)
from creditbank.certificates.applications import (
    AssessmentRecordedHandler,
    CertificateAppliedHandler,
)
from creditbank.certificates.handlers import (
    CertificateIssuedHandler,
    CertificateRevokedHandler,
)
from creditbank.credits.handlers import (
    CompletionRecordedHandler,
    CompletionRetractedHandler,
    CreditAwardedHandler,
    CreditRevokedHandler,
    EligibilityHandler,
)
from creditbank.federation.handlers import (
    CertificateRecognizedHandler,
    CreditRecognizedHandler,
    RecognitionAgreedHandler,
    RecognitionEndedHandler,
    RecognitionRecheckedHandler,
    RecognitionRequestedHandler,
    RecognitionRevokedHandler,
)
from creditbank.ledger.actors import (
    ActorAccreditedHandler,
    ActorRegisteredHandler,
    KeyAddedHandler,
    KeyRecoveredHandler,
    KeyRevokedHandler,
    NoticeHandler,
)
from creditbank.ledger.kinds import KindHandler
from creditbank.money.rewards import (
    BudgetSetHandler,
    ProgramPublishedHandler,
    RewardDecidedHandler,
    RewardEndedHandler,
    RewardPaidHandler,
)
from creditbank.money.subsidies import (
    PartEndedHandler,
    SubsidyApprovedHandler,
    SubsidyClaimedHandler,
    SubsidyEntitledHandler,
    SubsidyPaidHandler,
    SubsidyRejectedHandler,
)


def default_handlers() -> dict[str, KindHandler]:
    """Every kind the bank accepts, mapped to its rules."""
    return {
        "actor.registered": ActorRegisteredHandler(),
        "actor.accredited": ActorAccreditedHandler(),
        "key.added": KeyAddedHandler(),
        "key.recovered": KeyRecoveredHandler(),
        "key.revoked": KeyRevokedHandler(),
        "notice.published": NoticeHandler(),
        "standard.published": DocumentPublishedHandler("standard"),
        "program.published": ProgramPublishedHandler(),
        "course.registered": CourseRegisteredHandler(),
        "course.recognized": CourseRecognizedHandler(),
        "account.opened": AccountOpenedHandler(),
        "account.closed": AccountClosedHandler(),
        "account.erased": AccountErasedHandler(),
        "completion.recorded": CompletionRecordedHandler(),
        "completion.retracted": CompletionRetractedHandler(),
        "credit.awarded": CreditAwardedHandler(),
        "credit.revoked": CreditRevokedHandler(),
        "eligibility.reached": EligibilityHandler(eligible=True),
        "eligibility.lost": EligibilityHandler(eligible=False),
        "certificate.applied": CertificateAppliedHandler(),
        "assessment.recorded": AssessmentRecordedHandler(),
        "certificate.issued": CertificateIssuedHandler(),
        "certificate.revoked": CertificateRevokedHandler(),
        "reward.granted": RewardDecidedHandler("granted"),
        "reward.queued": RewardDecidedHandler("pending_budget"),
        "reward.cancelled": RewardEndedHandler("cancelled"),
        "reward.clawback_due": RewardEndedHandler("clawback_due"),
        "reward.paid": RewardPaidHandler(),
        "budget.set": BudgetSetHandler(),
        "subsidy.entitled": SubsidyEntitledHandler(),
        "subsidy.claimed": SubsidyClaimedHandler(),
        "subsidy.approved": SubsidyApprovedHandler(),
        "subsidy.rejected": SubsidyRejectedHandler(),
        "subsidy.paid": SubsidyPaidHandler(),
        "subsidy.cancelled": PartEndedHandler("cancelled"),
        "subsidy.clawback_due": PartEndedHandler("clawback_due"),
        "recognition.agreed": RecognitionAgreedHandler(),
        "recognition.ended": RecognitionEndedHandler(),
        "recognition.requested": RecognitionRequestedHandler(),
        "recognition.rechecked": RecognitionRecheckedHandler(),
        "certificate.recognized": CertificateRecognizedHandler(),
        "credit.recognized": CreditRecognizedHandler(),
        "recognition.revoked": RecognitionRevokedHandler(),
    }
