"""One mypy run per test session over every case file (a few seconds, not one per case)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _mypy_cases import Diagnostic, case_files, parse, run_mypy, write_config


@pytest.fixture(scope="session")
def diagnostics(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, list[Diagnostic]]:
    """What mypy with the plugin says about each case file."""
    work = tmp_path_factory.mktemp("mypy")
    stdout, stderr, status = run_mypy(case_files(), write_config(work), work / "cache")
    assert "INTERNAL ERROR" not in stdout + stderr, stdout + stderr
    assert status in (0, 1), stdout + stderr
    return parse(stdout)
