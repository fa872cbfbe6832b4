"""Each case file gets exactly the diagnostics it states inline (line, code, message)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _mypy_cases import BUGS, CASES, EXAMPLES, Diagnostic, case_files, expected


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.mark.parametrize("path", case_files(), ids=_id)
def test_case(path: Path, diagnostics: dict[Path, list[Diagnostic]]) -> None:
    """mypy with the plugin says exactly what the case says it should."""
    got = [str(d) for d in diagnostics.get(path.resolve(), [])]
    want = [str(d) for d in expected(path)]
    assert got == want


def test_every_bug_is_a_shape_error_at_its_line() -> None:
    """A gallery bug states one shape error, so the gallery is flagged line by line."""
    for path in sorted(BUGS.glob("*.py")):
        errors = [d for d in expected(path) if d.kind == "E"]
        assert len(errors) == 1, path
        assert errors[0].message.endswith("[shape]"), path


def test_there_are_enough_cases() -> None:
    """The issue asks for at least 40 distinct bugs and 20 passing programs."""
    bugs = list(BUGS.glob("*.py"))
    passing = [p for p in CASES.glob("ok_*.py") if not expected_errors(p)]
    passing += [p for p in EXAMPLES.glob("*.py") if not expected_errors(p)]
    assert len(bugs) >= 40
    assert len(passing) >= 20


def expected_errors(path: Path) -> list[Diagnostic]:
    """The errors a case file expects."""
    return [d for d in expected(path) if d.kind == "E"]
