"""JSON Schemas of the standard and program files, generated from the models.

The generated files are committed under ``standards/schema/`` so editors can validate YAML
as it is typed; a test keeps them equal to what the models produce. Regenerate with
``python -m creditbank.standards.schema standards/schema``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from creditbank.core.standards.model import Standard
from creditbank.core.standards.program import Program

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_FILES: dict[str, type[BaseModel]] = {
    "standard.schema.json": Standard,
    "program.schema.json": Program,
}


def json_schemas() -> dict[str, str]:
    """File name -> schema text, exactly as it is committed."""
    rendered: dict[str, str] = {}
    for name, model in SCHEMA_FILES.items():
        schema = {"$schema": SCHEMA_DIALECT, **model.model_json_schema(mode="validation")}
        rendered[name] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return rendered


def write_json_schema(directory: Path) -> list[Path]:
    """Write the schema files into ``directory`` (created if missing); the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in json_schemas().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_json_schema(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(written_path)
