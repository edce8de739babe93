"""The catalogue on the ledger: published standards and programs, courses and their
recognition by the authority."""
