"""Request dependencies: the bank instance the app was built with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from creditbank.bank import Bank


async def get_bank(request: Request) -> Bank:
    # async: a sync dependency would cost a thread-pool hop on every request
    bank: Bank = request.app.state.bank
    return bank


BankDep = Annotated[Bank, Depends(get_bank)]
