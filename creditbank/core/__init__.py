"""The pure core: values in, values out.

Merkle math and the C2SP formats (``tlog``), canonical JSON, keys, the error hierarchy,
statements and entries, the authorship table, the rules of every domain (``rules``,
``standards``) and the offline verifiers (``verify``). Nothing here imports the database,
the web framework or an HTTP client, and nothing reads a clock: ``now`` is passed in
(``tests/test_layers.py`` holds it to that). The shell around it (``creditbank.ledger``,
the domain packages, ``api``, ``cli``) reads, writes and serves.
"""
