"""Tooling, not the product: the demo scenario, the benchmarks and the shared factories
(actors, keys, signed statements, courses, learners) that the demo, the benchmarks and
the tests build their worlds with.

The product never imports this package (tests/test_layers.py holds that): only the CLI
registers the ``demo`` and ``bench`` commands, importing from here when they run.
"""
