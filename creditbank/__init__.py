"""creditbank: a vocational credit bank on a signed, append-only, publicly verifiable ledger."""

__version__ = "0.1.0"
