"""One mypy run per test session over every case file (a few seconds, not one per case)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _mypy_cases import Diagnostic, case_files, parse, run_mypy, write_config


@pytest.fixture(scope="session")
def mypy_work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config and a cache shared by every mypy run of the session (stubs load once)."""
    work = tmp_path_factory.mktemp("mypy")
    write_config(work)
    return work


@pytest.fixture(scope="session")
def diagnostics(mypy_work: Path) -> dict[Path, list[Diagnostic]]:
    """What mypy with the plugin says about each case file."""
    config = mypy_work / "mypy.ini"
    stdout, stderr, status = run_mypy(case_files(), config, mypy_work / "cache")
    assert "INTERNAL ERROR" not in stdout + stderr, stdout + stderr
    assert status in (0, 1), stdout + stderr
    return parse(stdout)
