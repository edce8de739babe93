"""Pure transparency-log core: RFC 9162 Merkle math and the C2SP text formats.

Nothing in this package touches a database, a clock, the network or settings; it takes
values and returns values, so the offline verifier and the server share one implementation.
"""
