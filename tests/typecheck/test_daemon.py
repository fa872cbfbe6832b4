"""``dmypy run`` with the plugin reports and clears shape errors as files change.

The daemon keeps one plugin instance between runs, so this is also where a stale verdict of
the plugin's per-callee scope cache would show: a callee redefined with shapes must be
checked with shapes from the next run on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

CONFIG = "[mypy]\nplugins = shapely_nn.mypy_plugin\npython_version = 3.11\n"
HEADER = "from typing import Literal as L\n\nfrom shapely_nn import Tensor\n\n\n"
MAIN = HEADER + ("from lib import head\n\n\ndef run(x: Tensor[L[2], L[4]]) -> None:\n    head(x)\n")
NO_SHAPES = HEADER + "def head(x: object) -> None: ...\n"
WANTS_3 = HEADER + "def head(x: Tensor[L[2], L[3]]) -> None: ...\n"
WANTS_4 = HEADER + "def head(x: Tensor[L[2], L[4]]) -> None: ...\n"
SHAPE_ERROR = (
    'main.py:10: error: "head" expects dim 1 = 3, got 4 in argument "x" (Tensor[2, 4])  [shape]'
)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    """A project folder and the dmypy command for it; the daemon is stopped afterwards."""
    (tmp_path / "mypy.ini").write_text(CONFIG)
    (tmp_path / "main.py").write_text(MAIN)
    cmd = [sys.executable, "-m", "mypy.dmypy", "--status-file", str(tmp_path / ".dmypy.json")]
    yield tmp_path, cmd
    subprocess.run([*cmd, "stop"], cwd=tmp_path, capture_output=True, check=False)


def run(folder: Path, cmd: list[str]) -> list[str]:
    """The errors of one ``dmypy run`` over main.py."""
    args = ["run", "--", "--config-file", "mypy.ini", "--no-error-summary", "main.py"]
    done = subprocess.run([*cmd, *args], cwd=folder, capture_output=True, text=True, check=False)
    assert "INTERNAL ERROR" not in done.stdout + done.stderr, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return [line for line in done.stdout.splitlines() if ": error: " in line]


def edit(path: Path, text: str, version: int) -> None:
    """Rewrite ``path`` with a later mtime (the daemon notices changes by mtime and size,
    and two of these versions have the same size)."""
    path.write_text(text)
    stamp = 1_700_000_000 + version
    os.utime(path, (stamp, stamp))


def test_daemon_reports_and_clears_shape_errors(daemon: tuple[Path, list[str]]) -> None:
    """No shapes, then a shape error, then fixed, then broken again: each run says so."""
    folder, cmd = daemon
    lib = folder / "lib.py"
    edit(lib, NO_SHAPES, 0)
    assert run(folder, cmd) == []
    edit(lib, WANTS_3, 1)
    assert run(folder, cmd) == [SHAPE_ERROR]
    edit(lib, WANTS_4, 2)
    assert run(folder, cmd) == []
    edit(lib, WANTS_3, 3)
    assert run(folder, cmd) == [SHAPE_ERROR]
