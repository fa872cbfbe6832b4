"""One run of each checker per mode for the session, and the gallery counts in the summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from _other_checkers import (
    BUGS,
    CHECKERS,
    EXAMPLES,
    PACKAGE,
    PROGRAMS,
    Finding,
    binary,
    course_programs,
    run,
)


@pytest.fixture(scope="session", params=CHECKERS)
def checker(request: pytest.FixtureRequest) -> str:
    """pyright, then basedpyright; the test extra installs both, so a missing one fails."""
    name: str = request.param
    assert binary(name) is not None, f"{name} is not installed: pip install -e '.[test]'"
    return name


@pytest.fixture(scope="session")
def checker_work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The course's programs and the checkers' configs."""
    return tmp_path_factory.mktemp("checkers")


@pytest.fixture(scope="session")
def course(checker_work: Path) -> list[Path]:
    """Each course page's code as one program."""
    return course_programs(checker_work)


@pytest.fixture(scope="session")
def program_errors(checker: str, checker_work: Path, course: list[Path]) -> list[Finding]:
    """The checker's errors in standard mode on the examples, the course, the gallery and the
    checker-only programs."""
    files = sorted(EXAMPLES.glob("*.py")) + course + sorted(BUGS.glob("*.py"))
    files += sorted(PROGRAMS.glob("*.py"))
    return run(checker, files, "standard", checker_work)


@pytest.fixture(scope="session")
def package_errors(checker: str, checker_work: Path) -> list[Finding]:
    """The checker's errors in basic mode on the package."""
    return run(checker, [PACKAGE], "basic", checker_work)
