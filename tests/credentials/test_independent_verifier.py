"""A second, independent Data Integrity implementation verifies what the bank issues:
Digital Bazaar's ``@digitalbazaar/vc`` with ``@digitalbazaar/eddsa-rdfc-2022-cryptosuite``
(JavaScript, its own JSON-LD and RDF canonicalization), run under node with every context
and DID document handed over (no network), so the proofs are not only checked by the code
that made them.

The npm packages (tests/credentials/js/package.json, exact versions) install once into a
cache outside the repository ($CREDITBANK_JS_CACHE, default ~/.cache/creditbank-tests/js);
the tests skip when node or npm is missing or the install cannot be done.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from creditbank.bank import Bank
from creditbank.core.credentials.badge import sign_as_certifier
from creditbank.core.credentials.contexts import FILES, context_document
from creditbank.core.keys import KeyPair
from creditbank.credentials import service
from tests.api.certflow import Certified, Flow

JS = Path(__file__).parent / "js"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers install one at a time
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def verifier() -> Path:
    """The verifier script beside its installed packages."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node or npm is not installed")
    cache = Path(
        os.environ.get("CREDITBANK_JS_CACHE", Path.home() / ".cache" / "creditbank-tests" / "js")
    )
    manifest = (JS / "package.json").read_text()
    with _locked(cache / ".lock"):
        installed = cache / "node_modules" / "@digitalbazaar" / "vc" / "package.json"
        if not installed.exists() or (cache / "package.json").read_text() != manifest:
            (cache / "package.json").write_text(manifest)
            try:
                subprocess.run(
                    [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
                    cwd=cache,
                    check=True,
                    capture_output=True,
                    timeout=600,
                )
            except (subprocess.SubprocessError, OSError) as exc:
                pytest.skip(f"the npm packages could not be installed: {exc}")
        shutil.copyfile(JS / "verify.mjs", cache / "verify.mjs")
    return cache / "verify.mjs"


def node_verifies(
    script: Path, credential: dict[str, Any], dids: list[dict[str, Any]]
) -> dict[str, Any]:
    documents = {url: context_document(url) for url in FILES}
    documents.update({d["id"]: d for d in dids})
    request = script.parent / f"request-{os.getpid()}.json"
    request.write_text(json.dumps({"credential": credential, "documents": documents}))
    try:
        done = subprocess.run(
            ["node", str(script), str(request)],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        request.unlink()
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_digital_bazaar_verifies_the_certificate_credential(
    verifier: Path, bank: Bank, certified: Certified
) -> None:
    credential = service.certificate_credential_of(bank, certified.number, with_name=True)
    dids = [service.did_document_of(bank, "cert-a")]
    assert node_verifies(verifier, credential, dids) == {"verified": True, "error": ""}
    tampered = json.loads(json.dumps(credential))
    tampered["credentialSubject"]["identifier"][1]["identityHash"] = "someone else"
    result = node_verifies(verifier, tampered, dids)
    assert result["verified"] is False
    assert "Invalid signature" in result["error"]


def test_digital_bazaar_verifies_a_certifier_signed_credential_and_the_status_list(
    verifier: Path, bank: Bank, flow: Flow, certified: Certified
) -> None:
    dids = [service.did_document_of(bank, "cert-a")]
    status_list = service.status_list_of(bank, "cert-a")
    assert node_verifies(verifier, status_list, dids)["verified"] is True
    bank_signed = service.certificate_credential_of(bank, certified.number)
    own = sign_as_certifier(bank_signed, flow.keys["cert-a"], bank.ledger.clock())
    assert node_verifies(verifier, own, dids)["verified"] is True
    stranger = sign_as_certifier(bank_signed, KeyPair.generate("x"), bank.ledger.clock())
    assert node_verifies(verifier, stranger, dids)["verified"] is False


def test_digital_bazaar_verifies_the_transcript_and_what_it_embeds(
    verifier: Path, bank: Bank, certified: Certified
) -> None:
    transcript = service.transcript_of(bank, certified.learner, bank.ledger.clock())
    dids = [service.did_document_of(bank), service.did_document_of(bank, "cert-a")]
    assert node_verifies(verifier, transcript, dids)["verified"] is True
    for credential in transcript["credentialSubject"]["verifiableCredential"]:
        assert node_verifies(verifier, credential, dids)["verified"] is True, credential["id"]
