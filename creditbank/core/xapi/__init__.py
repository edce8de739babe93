"""xAPI in the pure core: the statement model (``model``) and what a statement means for
the ledger (``credit``)."""
