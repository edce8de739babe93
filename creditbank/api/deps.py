"""Request dependencies: the bank instance the app was built with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from creditbank.bank import Bank


def get_bank(request: Request) -> Bank:
    bank: Bank = request.app.state.bank
    return bank


BankDep = Annotated[Bank, Depends(get_bank)]
