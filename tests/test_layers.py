"""The layers, held by tests: the pure core imports nothing of the database, the web or
HTTP, and nothing below the shell imports the shell."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "creditbank"
CORE = PACKAGE / "core"
FORBIDDEN = ("sqlalchemy", "sqlmodel", "fastapi", "starlette", "httpx", "psycopg", "alembic")
"""What the core must never import, directly or through another module."""
CORE_MAY_IMPORT = (
    "cryptography",
    "rfc8785",
    "pydantic",
    "pydantic_core",
    "langcodes",
    "pyld",  # JSON-LD canonicalization for credential proofs (creditbank/core/credentials)
    "base58",  # the multibase encoding of those proofs and of Multikey keys
)


def _modules(root: Path) -> list[str]:
    return sorted(
        ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for p in root.rglob("*.py")
    )


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            if node.module == "creditbank":  # `from creditbank import bank` names a module
                found.update(f"creditbank.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: p.stem)
def test_core_modules_import_only_the_core_and_pure_libraries(path: Path) -> None:
    stdlib = sys.stdlib_module_names
    bad = sorted(
        name
        for name in _imports(path)
        if not (
            name.split(".")[0] in stdlib
            or name.split(".")[0] in CORE_MAY_IMPORT
            or name == "creditbank.core"
            or name.startswith("creditbank.core.")
        )
    )
    assert bad == [], f"{path.relative_to(PACKAGE.parent)} imports {bad}"


def test_importing_the_whole_core_loads_no_database_or_web_code() -> None:
    """Transitively: a fresh interpreter imports every core module, and none of the
    forbidden packages (nor any creditbank module outside the core) is loaded."""
    code = (
        "import importlib, json, sys\n"
        f"for m in {_modules(CORE)!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent,
    )
    loaded = json.loads(result.stdout)
    assert [m for m in loaded if m.split(".")[0] in FORBIDDEN] == []
    outside = [
        m for m in loaded if m.startswith("creditbank") and not m.startswith("creditbank.core")
    ]
    assert outside == ["creditbank"]


TOOLING = PACKAGE / "tooling"
MAY_USE_TOOLING = (TOOLING, PACKAGE / "cli")
"""The tooling (demo, benchmarks, factories) is run from the CLI; the product never uses it."""


def _imported_names(path: Path) -> set[str]:
    """Every module ``path`` imports, ``from a import b`` counted as ``a`` and ``a.b``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            if node.module == "creditbank":  # `from creditbank import bank` names a module
                found.update(f"creditbank.{alias.name}" for alias in node.names)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_only_the_cli_and_the_tooling_itself_import_the_tooling() -> None:
    assert (TOOLING / "__init__.py").exists()
    offenders = {
        str(path.relative_to(PACKAGE.parent)): sorted(
            name
            for name in _imported_names(path)
            if name == "creditbank.tooling" or name.startswith("creditbank.tooling.")
        )
        for path in sorted(PACKAGE.rglob("*.py"))
        if not any(path.is_relative_to(root) for root in MAY_USE_TOOLING)
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_client_sdk_depends_only_on_the_core() -> None:
    """The SDK is what providers vendor: importing it loads nothing of the server (no
    creditbank module outside the core, no database or web framework)."""
    code = "import json, sys, creditbank.client\nprint(json.dumps(sorted(sys.modules)))\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent
    )
    loaded = json.loads(result.stdout)
    own = [
        m
        for m in loaded
        if m.split(".")[0] == "creditbank"
        and not m.startswith("creditbank.core")
        and m not in ("creditbank", "creditbank.client")
    ]
    assert own == []
    assert [m for m in loaded if m.split(".")[0] in ("sqlalchemy", "sqlmodel", "fastapi")] == []


ROOT = ("creditbank.bank", "creditbank.registry", "creditbank.settings")
"""The composition root: it wires the domains together, so none of them may import it."""
SHELL = ("api", "cli", "tooling", "web")


@pytest.mark.parametrize(
    "path",
    sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if p.relative_to(PACKAGE).parts[0] not in SHELL
        and p.name not in ("bank.py", "registry.py", "settings.py", "__main__.py")
    ),
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_nothing_below_the_shell_imports_the_composition_root(path: Path) -> None:
    bad = sorted(
        name for name in _imports(path) if any(name == r or name.startswith(r + ".") for r in ROOT)
    )
    assert bad == [], f"{path.relative_to(PACKAGE.parent)} imports {bad}"
