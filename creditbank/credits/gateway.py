"""The xAPI gateway key: a provider's signing key that the bank holds, so an LMS can send
xAPI statements that become the same signed completion entries as any other.

The provider enables it (``creditbank xapi enable --key PROVIDER_KEY``): a new Ed25519 key
is generated and registered on the ledger as a key of that provider (``key.added`` with
purpose ``xapi-gateway``, signed with the provider's own key: only an actor adds keys for
itself, so the bank cannot give itself a key to sign as a provider), then kept in
``<data_dir>/keys/xapi/`` (0600). The provider can revoke it like any of its keys;
completions signed with it stay valid.
"""

from __future__ import annotations

import base64
from pathlib import Path

from creditbank.core.entry import sign_statement
from creditbank.core.errors import Forbidden, NotFound
from creditbank.core.keys import KeyPair, read_key_file, write_key_file
from creditbank.ports import BankServices


def gateway_key_path(bank: BankServices, provider: str) -> Path:
    return bank.settings.keys_dir / "xapi" / f"{provider}.key"


def enable_xapi(bank: BankServices, provider_key: KeyPair) -> KeyPair:
    """Create the gateway key of the provider ``provider_key`` belongs to and register it,
    signed by that provider (once; the file is never replaced)."""
    provider = provider_key.name
    key = KeyPair.generate(provider)
    path = gateway_key_path(bank, provider)
    write_key_file(path, key)  # refuses to overwrite an existing gateway key
    try:
        bank.ledger.append(
            sign_statement(
                {
                    "kind": "key.added",
                    "actor": provider,
                    "id": f"xapi-gateway:{provider}:{key.key_id}",
                    "body": {
                        "actor_id": provider,
                        "public_key": base64.b64encode(key.public_key).decode(),
                        "purpose": "xapi-gateway",
                    },
                },
                provider_key,
            )
        )
    except Exception:
        path.unlink()  # not registered: keep no orphan key
        raise
    return key


def gateway_key(bank: BankServices, provider: str) -> KeyPair:
    path = gateway_key_path(bank, provider)
    if not path.exists():
        raise Forbidden(
            f"xAPI is not enabled for {provider} (`creditbank xapi enable --provider {provider}`)",
            field="actor",
        )
    key = read_key_file(path)
    if key.name != provider:
        raise NotFound(f"the gateway key file for {provider} names {key.name}", field="actor")
    return key
