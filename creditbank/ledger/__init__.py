"""The ledger service: sequencing, storage, proofs and audit of the transparency log."""
