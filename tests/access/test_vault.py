"""The personal-data vault: per-learner AES-GCM under a data key wrapped by the master
key, bound to the account number; national-ID lookup by HMAC; resident ID validation."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from creditbank.access.vault import (
    NONCE_SIZE,
    MasterKey,
    Sealed,
    check_resident_id,
    load_master_key,
    normalize_id_number,
    seal,
    unseal,
    write_master_key_file,
)
from creditbank.core.accounts import make_account_number
from creditbank.core.errors import IntegrityFailure, InvalidInput, Unavailable
from tests.factories import make_person

ACCOUNT = make_account_number("1234567890")
OTHER = make_account_number("1234567891")


@pytest.fixture
def master() -> MasterKey:
    return MasterKey(MasterKey.generate())


@pytest.fixture
def record() -> dict[str, Any]:
    return make_person().model_dump(mode="json")


def test_seal_and_unseal_round_trip(master: MasterKey, record: dict[str, Any]) -> None:
    sealed = seal(record, ACCOUNT, master)
    assert unseal(sealed, ACCOUNT, master) == record
    # nonce + 32-byte key + 16-byte tag; the ciphertext carries a nonce and a tag too
    assert len(sealed.wrapped_key) == NONCE_SIZE + 32 + 16
    plaintext = json.dumps(record, ensure_ascii=False, sort_keys=True).encode()
    assert len(sealed.ciphertext) == NONCE_SIZE + len(plaintext) + 16


def test_sealed_records_reveal_nothing_and_never_repeat(
    master: MasterKey, record: dict[str, Any]
) -> None:
    one, two = seal(record, ACCOUNT, master), seal(record, ACCOUNT, master)
    assert one.wrapped_key != two.wrapped_key  # a fresh data key per seal
    assert one.ciphertext != two.ciphertext
    for blob in (one.wrapped_key, one.ciphertext):
        for value in record.values():
            if value:
                assert str(value).encode() not in blob
                assert json.dumps(value).encode() not in blob


def _other_account(s: Sealed, master: MasterKey, other: MasterKey) -> tuple[Sealed, str, MasterKey]:
    return s, OTHER, master


def _other_master(s: Sealed, master: MasterKey, other: MasterKey) -> tuple[Sealed, str, MasterKey]:
    return s, ACCOUNT, other


def _flip_ciphertext(
    s: Sealed, master: MasterKey, other: MasterKey
) -> tuple[Sealed, str, MasterKey]:
    flipped = s.ciphertext[:-1] + bytes([s.ciphertext[-1] ^ 1])
    return Sealed(s.wrapped_key, flipped), ACCOUNT, master


def _flip_wrapped_key(
    s: Sealed, master: MasterKey, other: MasterKey
) -> tuple[Sealed, str, MasterKey]:
    flipped = s.wrapped_key[:NONCE_SIZE] + bytes([s.wrapped_key[NONCE_SIZE] ^ 1])
    return Sealed(flipped + s.wrapped_key[NONCE_SIZE + 1 :], s.ciphertext), ACCOUNT, master


def _foreign_key(s: Sealed, master: MasterKey, other: MasterKey) -> tuple[Sealed, str, MasterKey]:
    # another learner's (valid) wrapped key spliced onto this learner's ciphertext
    foreign = seal({"x": 1}, ACCOUNT, master)
    return Sealed(foreign.wrapped_key, s.ciphertext), ACCOUNT, master


def _moved_record(s: Sealed, master: MasterKey, other: MasterKey) -> tuple[Sealed, str, MasterKey]:
    # both parts copied to another account's row: the account is the associated data
    return Sealed(s.wrapped_key, s.ciphertext), OTHER, master


TAMPERING: list[tuple[str, Callable[[Sealed, MasterKey, MasterKey], Any], str]] = [
    ("wrong-account", _other_account, "does not unwrap"),
    ("wrong-master-key", _other_master, "does not unwrap"),
    ("flipped-ciphertext", _flip_ciphertext, "does not decrypt"),
    ("flipped-wrapped-key", _flip_wrapped_key, "does not unwrap"),
    ("foreign-data-key", _foreign_key, "does not decrypt"),
    ("record-moved-to-another-account", _moved_record, "does not unwrap"),
]


@pytest.mark.parametrize(
    ("tamper", "message"), [t[1:] for t in TAMPERING], ids=[t[0] for t in TAMPERING]
)
def test_tampering_or_the_wrong_key_fails_integrity(
    master: MasterKey,
    record: dict[str, Any],
    tamper: Callable[[Sealed, MasterKey, MasterKey], tuple[Sealed, str, MasterKey]],
    message: str,
) -> None:
    sealed, account, key = tamper(
        seal(record, ACCOUNT, master), master, MasterKey(MasterKey.generate())
    )
    with pytest.raises(IntegrityFailure, match=message) as err:
        unseal(sealed, account, key)
    assert err.value.status == 500
    assert account in err.value.detail
    for value in record.values():  # the error names the account, never the data
        if value:
            assert str(value) not in err.value.detail


def test_lookup_hash_is_stable_keyed_and_normalized(master: MasterKey) -> None:
    number = make_person(id_number="11010519491231002X").id_number
    digest = master.lookup_hash("resident_id", number)
    assert len(digest) == 64
    assert set(digest) <= set("0123456789abcdef")
    assert master.lookup_hash("resident_id", number) == digest
    raw = MasterKey.generate()  # derived from the key, not random per instance:
    assert MasterKey(raw).lookup_hash("resident_id", number) == MasterKey(raw).lookup_hash(
        "resident_id", number
    )
    assert MasterKey(raw).lookup_hash("resident_id", number) != digest  # keyed
    for spelling in ("110105 19491231 002x", " 11010519491231002x ", "1101051949\t1231002X"):
        assert master.lookup_hash("resident_id", spelling) == digest
    assert master.lookup_hash("passport", number) != digest  # the ID type is hashed too
    assert master.lookup_hash("resident_id", number[:-1] + "0") != digest


@pytest.mark.parametrize("id_type", ["resident_id", "passport", "hk_macao_permit"])
def test_lookup_hash_never_contains_the_number(master: MasterKey, id_type: str) -> None:
    for n in range(50):
        number = make_person().id_number if id_type == "resident_id" else f"E{n:08d}"
        digest = master.lookup_hash(id_type, number)
        assert digest != number
        assert number not in digest
        assert normalize_id_number(number).lower() not in digest
        assert number[-8:].lower() not in digest  # not even a long tail of it


def test_a_master_key_is_32_bytes() -> None:
    for size in (0, 16, 31, 33, 64):
        with pytest.raises(InvalidInput) as err:
            MasterKey(bytes(size))
        assert err.value.field == "master_key"
    assert len(MasterKey.generate()) == 32
    assert MasterKey.generate() != MasterKey.generate()


def test_master_key_from_the_environment_or_its_file(
    tmp_path: Path, record: dict[str, Any]
) -> None:
    path = tmp_path / "keys" / "master.key"
    with pytest.raises(Unavailable, match="no master key"):
        load_master_key(None, path)
    write_master_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        write_master_key_file(path)  # never overwrites: that would shred every learner
    from_file = load_master_key(None, path)
    from_env = load_master_key(path.read_text().strip(), tmp_path / "absent.key")
    sealed = seal(record, ACCOUNT, from_file)
    assert unseal(sealed, ACCOUNT, from_env) == record
    with pytest.raises(InvalidInput, match="base64") as err:
        load_master_key("not base64!", path)
    assert err.value.field == "master_key"
    with pytest.raises(InvalidInput):
        load_master_key(base64.b64encode(bytes(16)).decode(), path)


# --- resident identity card numbers (GB 11643-1999, ISO 7064 MOD 11-2) --------------------


def _swap_body_digits(n: str) -> str:
    assert n[6:8] == "19"  # make_person's births are in the 1900s
    return n[:6] + "91" + n[8:]


def _other_check(n: str) -> str:
    return n[:17] + ("0" if n[17] != "0" else "1")


RESIDENT_IDS: list[tuple[str, Callable[[str], str], str | None]] = [
    ("valid", lambda n: n, None),
    ("spaces-inside", lambda n: f"{n[:6]} {n[6:14]} {n[14:]}", None),
    ("surrounding-whitespace", lambda n: f"  {n}\n", None),
    ("wrong-check-character", _other_check, "check character is wrong"),
    (
        "body-digit-changed",
        lambda n: n[:3] + str((int(n[3]) + 1) % 10) + n[4:],
        "check character is wrong",
    ),
    ("body-digits-swapped", _swap_body_digits, "check character is wrong"),
    ("17-characters", lambda n: n[:17], "17 digits and a check character"),
    ("19-characters", lambda n: n + "1", "17 digits and a check character"),
    ("letter-in-body", lambda n: n[:4] + "A" + n[5:], "17 digits and a check character"),
    ("x-in-body", lambda n: "X" + n[1:], "17 digits and a check character"),
    ("other-check-letter", lambda n: n[:17] + "Y", "17 digits and a check character"),
    ("hyphens", lambda n: f"{n[:6]}-{n[6:]}", "17 digits and a check character"),
    ("empty", lambda n: "", "17 digits and a check character"),
]


@pytest.mark.parametrize(
    ("change", "error"), [c[1:] for c in RESIDENT_IDS], ids=[c[0] for c in RESIDENT_IDS]
)
def test_resident_id_check_character(change: Callable[[str], str], error: str | None) -> None:
    number = make_person().id_number
    value = change(number)
    if error is None:
        assert check_resident_id(value) == number
        return
    with pytest.raises(InvalidInput, match=error) as err:
        check_resident_id(value)
    assert err.value.field == "id_number"


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",  # the standard's own example, check character X
        "11010519491231002x",  # a lower-case x is accepted and normalized
        "440524188001010014",
        "110105199805120055",
    ],
)
def test_published_example_numbers(number: str) -> None:
    make_person(id_number=number)  # the privacy scan watches for these too
    assert check_resident_id(number) == number.upper()


def test_full_width_digits_are_refused_or_mean_the_same_number(master: MasterKey) -> None:
    number = make_person().id_number
    wide = "".join(chr(ord(c) + 0xFEE0) for c in number[:17]) + number[17]
    try:
        accepted = check_resident_id(wide)
    except InvalidInput:
        return  # refused: fine
    assert accepted == number
    assert master.lookup_hash("resident_id", wide) == master.lookup_hash("resident_id", number)


def test_superscript_digits_are_a_clear_error() -> None:
    number = make_person().id_number
    with pytest.raises(InvalidInput):
        check_resident_id("²" + number[1:])
