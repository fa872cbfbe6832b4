"""Run pyright and basedpyright (what VS Code's Pylance and its fork run) and read their errors.

A checker is run once per mode over many files (the examples, the course's code, the bug
gallery; or the package) with ``--outputjson``, and only its errors are kept: what a user sees
in red in an editor.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BUGS = EXAMPLES / "bugs"
# Correct programs for the other checkers only (what the examples do not cover).
PROGRAMS = Path(__file__).resolve().parent / "programs"
COURSE = ROOT / "docs" / "course"
PACKAGE = ROOT / "shapely_nn"
CHECKERS = ("pyright", "basedpyright")

_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
_MARK = re.compile(r"#\s*E:")


@dataclass(frozen=True, order=True)
class Finding:
    """One error of a checker: where, which rule, what it says."""

    path: Path
    line: int  # 1-based
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path.name}:{self.line}: {self.message.splitlines()[0]}  [{self.rule}]"


def binary(checker: str) -> Path | None:
    """The checker's executable beside this interpreter (the venv's), else on ``PATH``."""
    local = Path(sys.executable).parent / checker
    if local.exists():
        return local
    found = shutil.which(checker)
    return Path(found) if found else None


def course_programs(folder: Path) -> list[Path]:
    """Each course page's ``python`` blocks joined into one program, as the docs tests run them."""
    out = []
    for page in sorted(COURSE.glob("*.md")):
        program = folder / (page.stem.replace("-", "_") + ".py")
        program.write_text("".join(_BLOCK.findall(page.read_text())))
        out.append(program)
    return out


def marked_lines(path: Path) -> set[int]:
    """Lines that state a deliberate bug (``# E: ...``): the gallery's and the course's."""
    text = path.read_text().splitlines()
    return {n for n, line in enumerate(text, start=1) if _MARK.search(line)}


def run(checker: str, files: list[Path], mode: str, work: Path) -> list[Finding]:
    """The checker's errors on ``files`` in ``mode`` (``standard``, ``basic``)."""
    exe = binary(checker)
    assert exe is not None, f"{checker} is not installed"
    config = work / f"{checker}-{mode}.json"
    # extraPaths: this checkout's package, whatever the venv has installed.
    settings = {"typeCheckingMode": mode, "pythonVersion": "3.11", "extraPaths": [str(ROOT)]}
    config.write_text(json.dumps(settings))
    # No look-up of a newer release on PyPI at each run (pyright's Python wrapper does that).
    env = {**os.environ, "PYRIGHT_PYTHON_IGNORE_WARNINGS": "1"}
    args = [str(exe), "--outputjson", "--pythonpath", sys.executable, "-p", str(config)]
    proc = subprocess.run(
        args + [str(f) for f in files],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=False,
    )
    # 0: no errors, 1: errors found; anything else is the checker failing to run.
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    return sorted(
        Finding(
            Path(d["file"]).resolve(),
            d["range"]["start"]["line"] + 1,
            d.get("rule", ""),
            d["message"],
        )
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    )


def by_file(findings: list[Finding], root: Path) -> dict[str, int]:
    """Error counts per file, paths relative to ``root``: the shape of the known-errors lists."""
    out: dict[str, int] = {}
    for f in findings:
        key = f.path.relative_to(root).as_posix()
        out[key] = out.get(key, 0) + 1
    return out
