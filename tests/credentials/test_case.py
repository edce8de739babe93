"""The standards as CASE packages: what they hold, stable identifiers, the export."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from typer.testing import CliRunner

from creditbank.cli.main import app
from creditbank.core.credentials import case
from creditbank.core.credentials.ids import BankIds
from tests.credentials.samples import data_annotator

IDS = BankIds("bank.example")


def test_a_package_holds_levels_units_and_their_associations() -> None:
    standard = data_annotator()
    package = case.case_package(IDS, standard, "creditbank", "2026-11-22T08:00:00Z")
    items = {i["identifier"]: i for i in package["CFItems"]}
    levels = [i for i in package["CFItems"] if i["CFItemType"] == "Level"]
    units = [i for i in package["CFItems"] if i["CFItemType"] == "Competency Unit"]
    assert [lv["humanCodingScheme"] for lv in levels] == [
        f"data-annotator/{lv.level}" for lv in standard.levels
    ]
    assert len(units) == sum(len(lv.units) for lv in standard.levels)
    unit = next(u for u in units if u["humanCodingScheme"] == "DAN-5-01")
    assert unit["extensions"]["maxCredits"] == "4.5"
    document = package["CFDocument"]
    by_type: dict[str, list[tuple[str, str]]] = {}
    for a in package["CFAssociations"]:
        by_type.setdefault(a["associationType"], []).append(
            (a["originNodeURI"]["identifier"], a["destinationNodeURI"]["identifier"])
        )
    # every level is a child of the document; every unit of its level
    level_ids = {lv["identifier"] for lv in levels}
    assert {(lv, document["identifier"]) for lv in level_ids} <= set(by_type["isChildOf"])
    level_5 = case.level_id(standard, 5)
    assert (case.unit_id(standard, 5, "DAN-5-01"), level_5) in by_type["isChildOf"]
    assert len(by_type["isChildOf"]) == len(levels) + len(units)
    # a level that needs the lower level's certificate is preceded by it
    needing = [lv.level for lv in standard.levels if lv.requires_lower_level_certificate]
    assert needing
    assert sorted(by_type["precedes"]) == sorted(
        (case.level_id(standard, n + 1), case.level_id(standard, n)) for n in needing
    )
    assert all(i in items for pair in by_type["precedes"] for i in pair)


def test_identifiers_are_stable_uuids_of_the_standard_and_version() -> None:
    standard = data_annotator()
    one = case.case_package(IDS, standard, "creditbank", "2026-11-22T08:00:00Z")
    two = case.case_package(IDS, standard, "creditbank", "2027-01-01T00:00:00Z")
    ids_of = [i["identifier"] for i in one["CFItems"]]
    assert ids_of == [i["identifier"] for i in two["CFItems"]]
    assert one["CFDocument"]["identifier"] == two["CFDocument"]["identifier"]
    assert all(uuid.UUID(i).version == 5 for i in ids_of)
    newer = standard.model_copy(update={"version": "1.1.0"})
    assert case.document_id(newer) != case.document_id(standard)


def test_the_cli_exports_every_standard_with_the_same_identifiers(tmp_path: Path) -> None:
    runner = CliRunner()
    for out in ("a", "b"):
        result = runner.invoke(
            app,
            [
                "standards",
                "export",
                "--format",
                "case",
                "--host",
                "bank.example",
                str(tmp_path / out),
            ],
            env={"COLUMNS": "200"},
        )
        assert result.exit_code == 0, result.output
        assert "wrote 150 CFPackage files" in result.output
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert len(names) == 150
    package = json.loads((tmp_path / "a" / names[0]).read_text())
    assert package["CFDocument"]["uri"].startswith("https://bank.example/ims/case/v1p0/")
    result = runner.invoke(app, ["standards", "export", "--format", "xml", str(tmp_path / "c")])
    assert result.exit_code == 1
    assert "unknown format" in result.output
