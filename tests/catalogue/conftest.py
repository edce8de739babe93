from __future__ import annotations

import pytest

from creditbank.bank import Bank
from creditbank.catalogue.service import PublishReport, publish_catalogue
from creditbank.cli.catalogue import PROJECT_ROOT
from creditbank.core.keys import KeyPair
from creditbank.standards.catalogue import Catalogue, load_catalogue
from tests.factories import register

CATALOGUE = load_catalogue(PROJECT_ROOT)


def small_catalogue(*ids: str) -> Catalogue:
    wanted = ids or ("data-annotator", "ai-ethics-reviewer", "large-model-trainer")
    return Catalogue(tuple(s for s in CATALOGUE.standards if s.id in wanted), CATALOGUE.programs)


@pytest.fixture
def published(bank: Bank) -> PublishReport:
    return publish_catalogue(bank.ledger, small_catalogue(), bank.authority_key())


@pytest.fixture
def provider(bank: Bank, published: PublishReport) -> KeyPair:
    return register(bank, "prov-a")
