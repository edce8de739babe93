"""The sequencer: consecutive indexes, receipts, idempotency, keys, refusal writes nothing."""

from __future__ import annotations

import base64

import pytest

from creditbank.bank import Bank
from creditbank.core.entry import SignedStatement, sign_statement
from creditbank.core.errors import BadSignature, Conflict, EntryTooLarge, InvalidInput, KeyRevoked
from creditbank.core.keys import KeyPair
from creditbank.core.tlog import merkle
from creditbank.core.verify import verify_receipt
from creditbank.ledger import store
from creditbank.ledger.sequencer import Appended
from tests.factories import b64, notice, post_notice, register


def size(bank: Bank) -> int:
    with bank.engine.connect() as conn:
        return store.tree_size(conn)


def test_init_logs_the_trust_root(bank: Bank) -> None:
    assert size(bank) == 2
    with bank.engine.connect() as conn:
        first = store.entry_data(conn, 0)
    assert b'"actor_id":"authority"' in first
    assert b'"role":"authority"' in first


def test_append_returns_a_receipt_that_verifies_offline(bank: Bank) -> None:
    key = register(bank, "prov-a")
    result = post_notice(bank, "prov-a", key, text="course catalogue open")
    assert result.index == 3
    assert not result.duplicate
    verified = verify_receipt(result.receipt, bank.verifier_key)
    assert verified.index == 3
    assert verified.entry_bytes == result.entry
    assert verified.entry["statement"]["body"] == {"text": "course catalogue open"}
    assert verified.checkpoint.size == 4


def test_batch_gets_consecutive_indexes_and_one_checkpoint(bank: Bank) -> None:
    key = register(bank, "prov-a")
    results = bank.ledger.append_many([notice("prov-a", key) for _ in range(50)])
    assert all(isinstance(r, Appended) for r in results)
    indexes = [r.index for r in results if isinstance(r, Appended)]
    assert indexes == list(range(3, 53))
    with bank.engine.connect() as conn:
        assert store.latest_checkpoint(conn)[0] == 53
        assert store.checkpoint_covering(conn, 3)[0] == 53
        leaves = [merkle.leaf_hash(d) for d in store.entries_range(conn, 0, 53)]
        assert store.root_at(conn, 53) == merkle.root_from_leaves(leaves)


def test_reposting_returns_the_original_receipt(bank: Bank) -> None:
    key = register(bank, "prov-a")
    statement = notice("prov-a", key, sid="same-id")
    first = bank.ledger.append(statement)
    post_notice(bank, "prov-a", key)  # the log grows in between
    again = bank.ledger.append(statement)
    assert again.duplicate
    assert again.index == first.index
    assert again.receipt == first.receipt
    assert size(bank) == 5


def test_same_id_with_other_bytes_is_a_conflict_and_writes_nothing(bank: Bank) -> None:
    key = register(bank, "prov-a")
    bank.ledger.append(notice("prov-a", key, sid="x", text="one"))
    before = size(bank)
    with pytest.raises(Conflict) as err:
        bank.ledger.append(notice("prov-a", key, sid="x", text="two"))
    assert err.value.field == "statement.id"
    assert size(bank) == before


def test_same_id_twice_in_one_batch(bank: Bank) -> None:
    key = register(bank, "prov-a")
    a, b, c = bank.ledger.append_many(
        [
            notice("prov-a", key, sid="dup", text="one"),
            notice("prov-a", key, sid="dup", text="one"),
            notice("prov-a", key, sid="dup", text="two"),
        ]
    )
    assert isinstance(a, Appended)
    assert isinstance(b, Appended)
    assert b.duplicate
    assert b.index == a.index
    assert b.receipt == a.receipt  # against the batch's own checkpoint
    assert isinstance(c, Conflict)


def test_refused_items_do_not_stop_the_batch(bank: Bank) -> None:
    key = register(bank, "prov-a")
    good = notice("prov-a", key)
    forged = SignedStatement(
        dict(notice("prov-a", key).statement, id="forged"), key.key_id, good.signature
    )
    results = bank.ledger.append_many([good, forged, notice("prov-a", key)])
    assert isinstance(results[0], Appended)
    assert isinstance(results[2], Appended)
    assert isinstance(results[1], BadSignature)
    assert [r.index for r in results if isinstance(r, Appended)] == [3, 4]


@pytest.mark.parametrize(
    ("mutate", "error", "field"),
    [
        (
            lambda s, k, o: SignedStatement(s.statement, k.key_id, bytes(64)),
            BadSignature,
            "signature",
        ),
        (lambda s, k, o: sign_statement(s.statement, o), BadSignature, "key_id"),
        (
            lambda s, k, o: sign_statement(dict(s.statement, actor="nobody"), k),
            BadSignature,
            "statement.actor",
        ),
        (
            lambda s, k, o: sign_statement(dict(s.statement, kind="made.up"), k),
            InvalidInput,
            "statement.kind",
        ),
        (
            lambda s, k, o: sign_statement(dict(s.statement, body={"text": "x" * 70000}), k),
            EntryTooLarge,
            "statement.body",
        ),
        (
            lambda s, k, o: sign_statement(dict(s.statement, body={"text": 1}), k),
            InvalidInput,
            "statement.body.text",
        ),
        (
            lambda s, k, o: sign_statement(dict(s.statement, actor="log"), k),
            InvalidInput,
            "statement.actor",
        ),
    ],
    ids=[
        "zero-signature",
        "unknown-key",
        "unknown-actor",
        "unknown-kind",
        "over-64KiB",
        "bad-body",
        "as-the-log",
    ],
)
def test_bad_statements_are_refused_and_write_nothing(bank: Bank, mutate, error, field) -> None:  # type: ignore[no-untyped-def]
    key = register(bank, "prov-a")
    from creditbank.core.keys import KeyPair

    other = KeyPair.generate("stranger")
    before = size(bank)
    with pytest.raises(error) as err:
        bank.ledger.append(mutate(notice("prov-a", key), key, other))
    assert err.value.field == field
    assert size(bank) == before


def test_rotation_and_revocation(bank: Bank) -> None:
    from creditbank.core.keys import KeyPair

    old = register(bank, "prov-a")
    kept = post_notice(bank, "prov-a", old)
    new = KeyPair.generate("prov-a")
    bank.ledger.append(
        sign_statement(
            {
                "kind": "key.added",
                "actor": "prov-a",
                "id": "rot",
                "body": {"actor_id": "prov-a", "public_key": b64(new.public_key)},
            },
            old,
        )
    )
    bank.ledger.append(
        sign_statement(
            {
                "kind": "key.revoked",
                "actor": "prov-a",
                "id": "rev",
                "body": {"actor_id": "prov-a", "key_id": old.key_id, "reason": "rotation"},
            },
            new,
        )
    )
    before = size(bank)
    with pytest.raises(KeyRevoked):
        post_notice(bank, "prov-a", old)
    assert size(bank) == before
    post_notice(bank, "prov-a", new)
    # what the old key signed while active still verifies
    assert verify_receipt(kept.receipt, bank.verifier_key).index == kept.index


def test_only_the_authority_registers_actors(bank: Bank) -> None:
    from creditbank.core.errors import Forbidden
    from creditbank.core.keys import KeyPair

    key = register(bank, "prov-a")
    intruder = KeyPair.generate("x")
    with pytest.raises(Forbidden):
        bank.ledger.append(
            sign_statement(
                {
                    "kind": "actor.registered",
                    "actor": "prov-a",
                    "id": "r",
                    "body": {
                        "actor_id": "prov-b",
                        "role": "provider",
                        "name": "b",
                        "public_key": base64.b64encode(intruder.public_key).decode(),
                    },
                },
                key,
            )
        )


def test_large_batches_verify_signatures_on_two_cores_and_still_refuse_forgeries(
    bank: Bank,
) -> None:
    from creditbank.ledger.sequencer import PARALLEL_VERIFY_MIN

    key = register(bank, "prov-a")
    statements = [notice("prov-a", key) for _ in range(PARALLEL_VERIFY_MIN + 44)]
    for i in (10, len(statements) - 3):  # one in each half: the worker's and the local one
        s = statements[i]
        statements[i] = SignedStatement(dict(s.statement, id=f"forged-{i}"), s.key_id, s.signature)
    results = bank.ledger.append_many(statements)
    assert bank.ledger.signatures is not None
    refused = [i for i, r in enumerate(results) if not isinstance(r, Appended)]
    assert refused == [10, len(statements) - 3]
    assert all(isinstance(results[i], BadSignature) for i in refused)
    appended = [r for r in results if isinstance(r, Appended)]
    assert [r.index for r in appended] == list(range(3, 3 + len(statements) - 2))
    assert verify_receipt(appended[-1].receipt, bank.verifier_key).index == appended[-1].index


def test_streamed_batches_verify_ahead_and_still_refuse_forgeries(bank: Bank) -> None:
    """append_batches checks the next batch's signatures while one is sequenced: the
    outcomes are append_many's, batch by batch: forgeries and another actor's key refused."""
    from creditbank.ledger.sequencer import PARALLEL_VERIFY_MIN

    key = register(bank, "prov-a")
    other = register(bank, "prov-b")
    start = bank.ledger.append(notice("prov-a", key)).index + 1
    batches = [
        [notice("prov-a", key) for _ in range(PARALLEL_VERIFY_MIN + 5)],
        [notice("prov-a", key) for _ in range(3)],  # too small for the worker
        [notice("prov-b", other) for _ in range(PARALLEL_VERIFY_MIN)],
    ]
    s = batches[0][7]
    batches[0][7] = SignedStatement(dict(s.statement, id="forged-a"), s.key_id, s.signature)
    batches[2][0] = sign_statement(dict(batches[2][0].statement, actor="prov-a"), other)
    results = list(bank.ledger.append_batches(batches))
    assert [len(r) for r in results] == [len(b) for b in batches]
    assert isinstance(results[0][7], BadSignature)
    assert isinstance(results[2][0], BadSignature)  # valid signature, not prov-a's key
    appended = [r for batch in results for r in batch if isinstance(r, Appended)]
    assert [r.index for r in appended] == list(range(start, start + len(appended)))
    assert len(appended) == sum(len(b) for b in batches) - 2
    assert verify_receipt(appended[-1].receipt, bank.verifier_key).index == appended[-1].index


def test_a_statement_signed_in_process_skips_only_the_signature_check(bank: Bank) -> None:
    """``submit(signed_with=key)``: the key that just signed it (the xAPI gateway's) need
    not be verified again, but who may write with it is still checked under the lock."""
    key = register(bank, "prov-a")
    mine = notice("prov-a", key)
    assert bank.ledger.submit(mine, signed_with=key).result(timeout=30).index == size(bank) - 1
    stranger = KeyPair.generate("prov-a")  # a key never registered for prov-a
    with pytest.raises(BadSignature):
        bank.ledger.submit(notice("prov-a", stranger), signed_with=stranger).result(timeout=30)
    forged = SignedStatement(mine.statement | {"id": "n-forged"}, mine.key_id, mine.signature)
    # another key's signed_with does not vouch for this statement: it is verified, and fails
    with pytest.raises(BadSignature):
        bank.ledger.submit(forged, signed_with=stranger).result(timeout=30)
