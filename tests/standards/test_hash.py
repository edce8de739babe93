"""content_hash: what gets published to the ledger for a standard's version."""

from __future__ import annotations

import hashlib
import re

import yaml

from creditbank.core.canonical import canonical_bytes
from creditbank.standards import (
    Standard,
    check_program,
    check_standard,
    content_hash,
    parse_standard_yaml,
)
from tests.standards.factories import program_data, standard_data

# Pins the hashed form (RFC 8785 over the model's JSON dump, defaults included). If this
# changes, every published standard's hash changes: that needs a deliberate decision.
SAMPLE_HASH = "68cf6610957dc39f2d3f534f4945aced6e2cb02822e45d44345b94166c7d466c"


def _standard(data: dict[str, object]) -> Standard:
    standard, violations = check_standard(data)
    assert standard is not None, violations
    return standard


def test_hash_is_sha256_of_canonical_dump() -> None:
    standard = _standard(standard_data())
    digest = content_hash(standard)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == hashlib.sha256(canonical_bytes(standard.model_dump(mode="json"))).hexdigest()
    assert digest == SAMPLE_HASH


def test_hash_ignores_yaml_layout_and_explicit_defaults() -> None:
    data = standard_data()
    compact = yaml.safe_dump(data, sort_keys=True, default_flow_style=True, allow_unicode=True)
    commented = "# a comment\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    a, _ = parse_standard_yaml(compact, file="a.yaml")
    b, _ = parse_standard_yaml(commented, file="b.yaml")
    assert a is not None
    assert b is not None
    assert content_hash(a) == content_hash(b) == SAMPLE_HASH
    # level 3 of the sample leaves three fields at their defaults; writing them out is a no-op
    explicit = standard_data()
    explicit["levels"][1].update({"max_online_share_percent": 60, "credit_validity_years": 5})
    explicit["levels"][1]["required_units"][0]["min_credits"] = "1.0"
    assert content_hash(_standard(explicit)) == SAMPLE_HASH


def test_hash_changes_with_content() -> None:
    changes = []
    data = standard_data(version="1.0.1")
    changes.append(data)
    data = standard_data()
    data["levels"][0]["units"][0]["max_credits"] = "6.5"
    changes.append(data)
    data = standard_data()
    data["levels"][1]["max_online_share_percent"] = 50
    changes.append(data)
    data = standard_data(title_en="Sample standard")
    changes.append(data)
    data = standard_data(areas=["data", "nlp"])  # order is content: it is how authors list it
    changes.append(data)
    hashes = {content_hash(_standard(d)) for d in changes}
    assert len(hashes) == len(changes)
    assert SAMPLE_HASH not in hashes


def test_standard_round_trips_through_json() -> None:
    standard = _standard(standard_data())
    again = Standard.model_validate_json(standard.model_dump_json())
    assert again == standard
    assert content_hash(again) == content_hash(standard)


def test_programs_hash_too() -> None:
    program, _ = check_program(program_data())
    assert program is not None
    assert re.fullmatch(r"[0-9a-f]{64}", content_hash(program))
