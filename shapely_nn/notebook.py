"""``%%shapecheck``: mypy with the shapely_nn plugin over notebook cells, errors by cell and line.

``%load_ext shapely_nn`` registers the cell magic. A cell that starts with ``%%shapecheck`` is
type-checked together with every cell run before it (in the order they ran), so a call that
disagrees with a layer defined three cells up is found. Each error is printed with its cell
number (the ``[n]`` beside the cell) and its line in that cell (the ``%%shapecheck`` line is
line 1). If this cell has an error it is **not run**, so a shape bug never reaches the data and
the cell is left out of later checks; errors in earlier cells are printed but do not stop it.

Notebooks redefine names as cells are re-run and edited: mypy's "already defined" is not
reported, and a cell run twice with the same text is checked once. IPython's own syntax in
earlier cells (``%magic``, ``!shell``) is read as ``pass``; a cell under another cell magic
(``%%bash``...) is skipped. Nothing here imports IPython: it is only handed the shell.
"""

from __future__ import annotations

import atexit
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CellDiagnostic", "ShapeCheck", "check_cells", "load_ipython_extension"]

CONFIG = """\
[mypy]
plugins = shapely_nn.mypy_plugin
check_untyped_defs = True
allow_redefinition = True
"""

_OUTPUT = re.compile(r"^[^:]+:(?P<line>\d+): (?P<kind>error|note): (?P<msg>.*)$")
# Re-running or editing a cell redefines its names: normal in a notebook, not a bug.
_IGNORED_CODES = ("  [no-redef]",)


@dataclass(frozen=True)
class CellDiagnostic:
    """One mypy diagnostic, placed in its notebook cell."""

    cell: int
    line: int  # in the cell, 1-based; a %%shapecheck header is line 1
    kind: str  # "error" or "note"
    message: str

    def __str__(self) -> str:
        return f"cell [{self.cell}], line {self.line}: {self.kind}: {self.message}"


def cell_source(raw: str) -> str | None:
    """A cell's text as Python for the checker, same line numbers; ``None`` if it is not Python."""
    lines = raw.split("\n")
    if lines[0].startswith("%%"):
        if lines[0].split()[0] != "%%shapecheck":
            return None
        lines[0] = ""
    out = []
    for line in lines:
        body = line.lstrip()
        if body.startswith(("%", "!")):
            # A line magic or shell escape: nothing the checker can read, keep the block valid.
            line = line[: len(line) - len(body)] + "pass"
        out.append(line)
    return "\n".join(out)


def check_cells(cells: list[tuple[int, str]], work: Path) -> list[CellDiagnostic]:
    """mypy with the plugin over ``(cell number, raw source)`` pairs, in run order."""
    from mypy import api

    program: list[str] = []
    origin: list[tuple[int, int]] = []  # program line - 1 -> (cell, line in cell)
    seen: set[str] = set()
    for number, raw in reversed(cells):  # the last run of identical text wins
        if raw in seen:
            continue
        seen.add(raw)
        source = cell_source(raw)
        if source is None:
            continue
        lines = source.split("\n")
        program[:0] = lines
        origin[:0] = [(number, k) for k in range(1, len(lines) + 1)]
    path = work / "notebook_cells.py"
    path.write_text("\n".join(program) + "\n")
    config = work / "mypy.ini"
    config.write_text(CONFIG)
    args = ["--config-file", str(config), "--cache-dir", str(work / "cache")]
    args += ["--no-error-summary", "--no-pretty", "--show-error-codes", "--hide-error-context"]
    args += ["--python-version", f"{sys.version_info.major}.{sys.version_info.minor}"]
    stdout, stderr, status = api.run([*args, str(path)])
    if status not in (0, 1):
        raise RuntimeError(f"mypy failed to run:\n{stdout}{stderr}")
    out: list[CellDiagnostic] = []
    for text in stdout.splitlines():
        match = _OUTPUT.match(text)
        if match is None or text.endswith(_IGNORED_CODES):
            continue
        cell, line = origin[int(match.group("line")) - 1]
        out.append(CellDiagnostic(cell, line, match.group("kind"), match.group("msg")))
    return out


@dataclass
class ShapeCheck:
    """The ``%%shapecheck`` magic of one IPython shell."""

    shell: Any
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="shapecheck-")))
    refused: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        atexit.register(shutil.rmtree, self.work, ignore_errors=True)

    def cells(self, cell: str) -> tuple[int, list[tuple[int, str]]]:
        """This cell's number and the cells run before it (raw history), minus the refused ones."""
        history: list[str] = self.shell.history_manager.input_hist_raw
        last = history[-1].split("\n", 1) if len(history) > 1 else [""]
        # IPython stores a cell before running it (and, since 9.0, counts it before too): when
        # the last stored cell is this one, its index is this cell's number.
        ours = last[0].startswith("%%shapecheck") and last[-1].rstrip() == cell.rstrip()
        current = len(history) - 1 if ours else len(history)
        earlier = [
            (n, history[n])
            for n in range(1, current)
            if n not in self.refused and history[n].strip()
        ]
        return current, earlier

    def __call__(self, line: str, cell: str) -> None:
        """Check the cells so far plus this one; print each error; run this cell if it has none."""
        try:
            import mypy.api  # noqa: F401
        except ImportError:
            print("%%shapecheck needs mypy: pip install 'shapely_nn[notebook]'", file=sys.stderr)
            return
        current, earlier = self.cells(cell)
        cells = [*earlier, (current, "%%shapecheck\n" + cell)]
        found = check_cells(cells, self.work)
        for diagnostic in found:
            print(diagnostic)
        if any(d.cell == current and d.kind == "error" for d in found):
            self.refused.add(current)
            print(f"cell [{current}] not run: fix the errors above, or run it without %%shapecheck")
            return
        self.shell.run_cell(cell, store_history=False)


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%%shapecheck`` (IPython calls this on ``%load_ext shapely_nn``)."""
    ipython.register_magic_function(ShapeCheck(ipython), magic_kind="cell", magic_name="shapecheck")
