"""First-time activation through the portal, and a fresh activation code from the
authority (access.service.reissue_activation: a lost code, or a password to reset)."""

from __future__ import annotations

import pytest

from creditbank.access import service as access
from creditbank.bank import Bank
from creditbank.core.errors import NotFound, Unauthenticated
from tests.access.conftest import PASSWORD, activate_learner, open_learner
from tests.web.test_pages import browser_client, csrf_of, sign_in


def test_a_learner_activates_the_account_in_the_portal(bank: Bank) -> None:
    learner = open_learner(bank)
    with browser_client(bank) as client:
        token = csrf_of(client, "/portal/activate")
        fields = {
            "csrf_token": token,
            "account": learner.account,
            "activation_code": learner.activation_code,
            "id_number": learner.person.id_number,
            "password": "too short",
        }
        r = client.post("/portal/activate", data=fields)
        assert r.status_code == 422
        assert "at least 10 characters" in r.text
        r = client.post("/portal/activate", data={**fields, "password": PASSWORD})
        assert r.status_code == 303
        assert r.headers["location"] == "/portal/signin?activated=1"
        assert sign_in(client, learner.account).status_code == 303


def test_a_wrong_id_number_does_not_activate(bank: Bank) -> None:
    learner = open_learner(bank)
    with browser_client(bank) as client:
        token = csrf_of(client, "/portal/activate")
        r = client.post(
            "/portal/activate",
            data={
                "csrf_token": token,
                "account": learner.account,
                "activation_code": learner.activation_code,
                "id_number": "110101199001011234",
                "password": PASSWORD,
            },
        )
        assert r.status_code == 401
    with pytest.raises(Unauthenticated):
        access.login(bank, learner.account, PASSWORD, bank.ledger.clock())


def test_a_reissued_code_replaces_the_password_and_the_old_code(bank: Bank) -> None:
    learner = open_learner(bank)
    activate_learner(bank, learner)
    now = bank.ledger.clock()
    code = access.reissue_activation(bank, learner.account, now)
    with pytest.raises(Unauthenticated):
        access.login(bank, learner.account, PASSWORD, now)
    with pytest.raises(Unauthenticated):  # the first code is spent
        access.activate(
            bank, learner.account, learner.activation_code, learner.person.id_number,
            "another password 7", now,
        )  # fmt: skip
    access.activate(bank, learner.account, code, learner.person.id_number, "new password 7", now)
    assert access.login(bank, learner.account, "new password 7", now)[0]


def test_no_code_for_an_account_that_is_not_open(bank: Bank) -> None:
    with pytest.raises(NotFound):
        access.reissue_activation(bank, "CB00000000000", bank.ledger.clock())
