"""AI vocational competency standards and policy programs: models, loader and validator.

The data lives in ``standards/*.yaml`` (one standard per file) and
``standards/programs/*.yaml``; this package turns that text into frozen, validated values.
Nothing here touches the database, the clock or the network: publishing to the ledger is
the caller's job, using :func:`content_hash` for the published digest.
"""

from creditbank.core.standards.model import (
    ADVANCED_LEVELS,
    AREAS,
    LEVEL_NAMES,
    Area,
    Level,
    RequiredUnit,
    Standard,
    Unit,
    Violation,
    check_standard,
    content_hash,
    format_credits,
    parse_credits,
)
from creditbank.core.standards.program import Program, check_program
from creditbank.standards.catalogue import (
    Catalogue,
    Problem,
    load_catalogue,
    parse_program_yaml,
    parse_standard_yaml,
    validate_catalogue,
)

__all__ = [
    "ADVANCED_LEVELS",
    "AREAS",
    "LEVEL_NAMES",
    "Area",
    "Catalogue",
    "Level",
    "Problem",
    "Program",
    "RequiredUnit",
    "Standard",
    "Unit",
    "Violation",
    "check_program",
    "check_standard",
    "content_hash",
    "format_credits",
    "load_catalogue",
    "parse_credits",
    "parse_program_yaml",
    "parse_standard_yaml",
    "validate_catalogue",
]
