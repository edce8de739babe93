"""Load and validate the standards catalogue: ``standards/*.yaml`` and ``standards/programs``.

Validation collects every problem in every file (YAML syntax, types, rules, cross-file
duplicates) so an author fixes a batch in one pass; loading refuses a catalogue with any
problem. Parsing is pure (:func:`parse_standard_yaml` takes text); only
:func:`validate_catalogue` and :func:`load_catalogue` read files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from creditbank.core.errors import InvalidInput
from creditbank.core.standards.model import (
    Area,
    Standard,
    Violation,
    check_standard,
)
from creditbank.core.standards.program import Program, check_program

STANDARDS_DIR = "standards"
PROGRAMS_DIR = "standards/programs"

_Doc = TypeVar("_Doc", Standard, Program)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the catalogue: the file, the field path ('' = whole file), why.

    ``line`` is 1-based where the YAML position of the field is known.
    """

    file: str
    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.reason}" if self.path else f"{where}: {self.reason}"


@dataclass(frozen=True)
class Catalogue:
    """The validated standards (sorted by id) and programs (sorted by year)."""

    standards: tuple[Standard, ...]
    programs: tuple[Program, ...] = ()

    def standard(self, standard_id: str) -> Standard | None:
        """The standard with this id, if any."""
        return next((s for s in self.standards if s.id == standard_id), None)

    def program(self, program_id: str) -> Program | None:
        """The program with this id, if any."""
        return next((p for p in self.programs if p.id == program_id), None)

    def program_for_year(self, year: int) -> Program | None:
        """The program covering a calendar year (Asia/Shanghai), if any."""
        return next((p for p in self.programs if p.year == year), None)

    def find(
        self,
        *,
        occupation: str | None = None,
        level: int | None = None,
        area: Area | None = None,
    ) -> tuple[Standard, ...]:
        """Standards matching every filter given.

        ``occupation`` matches a whole code or a leading group of it ("4-04-05" finds
        4-04-05-05 and 4-04-05-13); standards without a code never match it. ``level`` keeps
        standards that define that level; ``area`` those filed under that area.
        """

        def matches(s: Standard) -> bool:
            if occupation is not None:
                code = s.occupation_code
                if code is None or not (code == occupation or code.startswith(occupation + "-")):
                    return False
            if level is not None and level not in s.level_numbers:
                return False
            return area is None or area in s.areas

        return tuple(s for s in self.standards if matches(s))


# -- YAML ----------------------------------------------------------------------------------


# libyaml's parser is much faster; the safe constructor on top is the same Python code.
if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
elif yaml.__with_libyaml__:
    _SafeLoader = yaml.CSafeLoader
else:
    _SafeLoader = yaml.SafeLoader


class _Loader(_SafeLoader):
    """Safe loading that refuses duplicate keys, which PyYAML would silently overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict) or key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"duplicate or unhashable key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _parse_yaml(text: str, file: str) -> tuple[object, yaml.Node | None, list[Problem]]:
    """The document, its node tree (for line numbers) and any syntax problem."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        detail = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        if mark is not None:
            detail += f" (line {mark.line + 1}, column {mark.column + 1})"
        return None, None, [Problem(file, "", f"invalid YAML: {detail}", line)]
    except yaml.YAMLError as exc:
        return None, None, [Problem(file, "", f"invalid YAML: {exc}")]
    finally:
        loader.dispose()
    if data is None:
        return None, None, [Problem(file, "", "the file is empty; expected a YAML mapping")]
    return data, node, []


def _line_of(node: yaml.Node | None, path: Sequence[str | int]) -> int | None:
    """1-based line of the deepest node on ``path`` that exists in the YAML tree."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _split_path(path: str) -> list[str | int]:
    """``levels[2].units[0].code`` -> ['levels', 2, 'units', 0, 'code']."""
    parts: list[str | int] = []
    for piece in path.replace("[", ".[").split("."):
        if piece.startswith("[") and piece.endswith("]"):
            inner = piece[1:-1]
            parts.append(int(inner) if inner.lstrip("-").isdigit() else inner)
        elif piece:
            parts.append(piece)
    return parts


def _parse(
    text: str,
    file: str,
    check: Callable[[object], tuple[_Doc | None, list[Violation]]],
) -> tuple[_Doc | None, list[Problem]]:
    data, node, problems = _parse_yaml(text, file)
    if problems:
        return None, problems
    document, violations = check(data)
    return document, [
        Problem(file, v.path, v.reason, _line_of(node, _split_path(v.path))) for v in violations
    ]


def parse_standard_yaml(text: str, *, file: str) -> tuple[Standard | None, list[Problem]]:
    """Parse one standard file's text; ``file`` only labels the problems."""
    return _parse(text, file, check_standard)


def parse_program_yaml(text: str, *, file: str) -> tuple[Program | None, list[Problem]]:
    """Parse one program file's text; ``file`` only labels the problems."""
    return _parse(text, file, check_program)


# -- cross-file checks ---------------------------------------------------------------------


def _stem_problem(file: str, document_id: str) -> list[Problem]:
    stem = PurePosixPath(file).stem
    if stem == document_id:
        return []
    return [Problem(file, "id", f"id {document_id!r} must equal the file name stem {stem!r}")]


def cross_file_problems(
    standards: Iterable[tuple[str, Standard]], programs: Iterable[tuple[str, Program]]
) -> list[Problem]:
    """Duplicates no single file can see: ids, unit codes across standards, program years."""
    found: list[Problem] = []
    id_file: dict[str, str] = {}
    code_owner: dict[str, tuple[str, str]] = {}
    for file, std in standards:
        if std.id in id_file:
            found.append(Problem(file, "id", f"id {std.id!r} is also used by {id_file[std.id]}"))
        id_file.setdefault(std.id, file)
        for i, level in enumerate(std.levels):
            for j, unit in enumerate(level.units):
                owner = code_owner.get(unit.code)
                if owner is not None and owner[1] != std.id:
                    found.append(
                        Problem(
                            file,
                            f"levels[{i}].units[{j}].code",
                            f"unit code {unit.code} is also used by {owner[0]} ({owner[1]})",
                        )
                    )
                code_owner.setdefault(unit.code, (file, std.id))
    program_file: dict[str, str] = {}
    year_file: dict[int, str] = {}
    for file, program in programs:
        if program.id in program_file:
            found.append(
                Problem(file, "id", f"id {program.id!r} is also used by {program_file[program.id]}")
            )
        program_file.setdefault(program.id, file)
        if program.year in year_file:
            found.append(
                Problem(
                    file,
                    "year",
                    f"year {program.year} is already covered by {year_file[program.year]}",
                )
            )
        year_file.setdefault(program.year, file)
    return found


# -- files ---------------------------------------------------------------------------------


def _read(root: Path) -> tuple[Catalogue, list[Problem]]:
    problems: list[Problem] = []
    standards: list[tuple[str, Standard]] = []
    programs: list[tuple[str, Program]] = []
    standards_dir = root / STANDARDS_DIR
    if not standards_dir.is_dir():
        return Catalogue(()), [Problem(STANDARDS_DIR, "", "the standards directory is missing")]
    for folder in (standards_dir, root / PROGRAMS_DIR):
        for stray in sorted(folder.glob("*.yml")):
            rel = stray.relative_to(root).as_posix()
            problems.append(Problem(rel, "", "not read: standards files use the .yaml extension"))
    for path in sorted(standards_dir.glob("*.yaml")):
        rel = path.relative_to(root).as_posix()
        text, problem = _read_text(path, rel)
        if problem is not None:
            problems.append(problem)
            continue
        std, found = parse_standard_yaml(text, file=rel)
        problems.extend(found)
        if std is not None:
            problems.extend(_stem_problem(rel, std.id))
            standards.append((rel, std))
    for path in sorted((root / PROGRAMS_DIR).glob("*.yaml")):
        rel = path.relative_to(root).as_posix()
        text, problem = _read_text(path, rel)
        if problem is not None:
            problems.append(problem)
            continue
        program, found = parse_program_yaml(text, file=rel)
        problems.extend(found)
        if program is not None:
            problems.extend(_stem_problem(rel, program.id))
            programs.append((rel, program))
    problems.extend(cross_file_problems(standards, programs))
    catalogue = Catalogue(
        standards=tuple(sorted((s for _, s in standards), key=lambda s: s.id)),
        programs=tuple(sorted((p for _, p in programs), key=lambda p: (p.year, p.id))),
    )
    return catalogue, problems


def _read_text(path: Path, rel: str) -> tuple[str, Problem | None]:
    try:
        return path.read_bytes().decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return "", Problem(rel, "", f"not UTF-8 text: {exc}")


def validate_catalogue(root: Path) -> list[Problem]:
    """Every problem in the catalogue under ``root`` (the project directory); [] if clean."""
    return _read(root)[1]


def load_catalogue(root: Path) -> Catalogue:
    """The catalogue under ``root``; InvalidInput listing the problems if there are any."""
    catalogue, problems = _read(root)
    if problems:
        shown = "\n".join(str(p) for p in problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise InvalidInput(
            f"the standards catalogue has {len(problems)} problem(s):\n{shown}{more}",
            problems=[
                {"file": p.file, "path": p.path, "reason": p.reason, "line": p.line}
                for p in problems
            ],
        )
    return catalogue
