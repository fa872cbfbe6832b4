"""The oldest supported mypy finds exactly what the newest finds, on every case file.

``make test`` installs the oldest supported release beside the venv (``pip install --target``,
see the Makefile); this test runs it over the gallery, the cases and the examples, and
compares with what the files state, up to mypy's own spelling (``portable``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from _mypy_cases import ROOT, Diagnostic, case_files, expected, parse, portable, write_config

from shapely_nn.mypy_plugin import OLDEST_MYPY

OLDEST = ROOT / ".venv" / f"mypy-{OLDEST_MYPY}"


@pytest.fixture(scope="module")
def oldest(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, list[Diagnostic]]:
    """What the oldest supported mypy with the plugin says about each case file."""
    assert (OLDEST / "mypy").is_dir(), f"run `make test` to install mypy {OLDEST_MYPY} in {OLDEST}"
    work = tmp_path_factory.mktemp("oldest")
    config = write_config(work)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(OLDEST), str(ROOT)])}
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir"]
    cmd += [str(work / "cache"), "--no-error-summary", "--no-pretty", "--show-error-codes"]
    cmd += ["--hide-error-context", *map(str, case_files())]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert "INTERNAL ERROR" not in done.stdout + done.stderr, done.stdout + done.stderr
    assert done.returncode in (0, 1), done.stdout + done.stderr
    version = subprocess.run(
        [sys.executable, "-m", "mypy", "--version"], capture_output=True, text=True, env=env
    )
    assert version.stdout.split()[1] == OLDEST_MYPY, version.stdout
    return parse(done.stdout)


@pytest.mark.parametrize("path", case_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_oldest_mypy_says_what_the_case_says(
    path: Path, oldest: dict[Path, list[Diagnostic]]
) -> None:
    """Same shape errors, same clean programs, same revealed shapes."""
    got = sorted(str(portable(d)) for d in oldest.get(path.resolve(), []))
    want = sorted(str(portable(d)) for d in expected(path))
    assert got == want
