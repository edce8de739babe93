"""The committed JSON Schemas are exactly what the models generate."""

from __future__ import annotations

import json
from pathlib import Path

from creditbank.standards.schema import json_schemas, write_json_schema
from tests.standards.factories import REPO_ROOT, standard_data

SCHEMA_DIR = REPO_ROOT / "standards" / "schema"
REGENERATE = "python -m creditbank.standards.schema standards/schema"


def test_committed_schemas_are_up_to_date() -> None:
    for name, text in json_schemas().items():
        committed = (SCHEMA_DIR / name).read_text(encoding="utf-8")
        assert committed == text, f"{name} is stale; regenerate with `{REGENERATE}`"


def test_write_json_schema(tmp_path: Path) -> None:
    written = write_json_schema(tmp_path / "schema")
    assert sorted(p.name for p in written) == ["program.schema.json", "standard.schema.json"]
    for path in written:
        assert path.read_text(encoding="utf-8") == json_schemas()[path.name]


def test_schema_describes_the_file_format() -> None:
    schema = json.loads(json_schemas()["standard.schema.json"])
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) >= {"id", "version", "occupation_code", "levels", "areas"}
    assert set(standard_data()) <= set(schema["properties"])
