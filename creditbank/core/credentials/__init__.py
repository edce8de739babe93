"""Certificates, transcripts and standards in the formats other systems read.

- ``contexts``: every JSON-LD context the documents use, shipped here and loaded by a
  local document loader (nothing is fetched to issue or verify);
- ``proof``: W3C Data Integrity ``eddsa-rdfc-2022`` proofs (RDF canonicalization by
  ``pyld``, Ed25519), and the Multikey encoding of public keys;
- ``ids``: the bank's did:web identifiers and URLs, from its host;
- ``badge``: a certificate as an Open Badges 3.0 ``OpenBadgeCredential``;
- ``status``: W3C Bitstring Status Lists (revocation bits per certifying body);
- ``did``: the DID documents of the bank and of each certifying body;
- ``transcript``: a learner's CLR 2.0 ``ClrCredential``;
- ``case``: the standards as 1EdTech CASE 1.0 packages;
- ``verify``: checking a credential offline (signature, status, ledger evidence).

Values in, values out, ``now`` passed in: no database, web or HTTP code.
"""
