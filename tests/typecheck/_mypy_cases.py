"""Run mypy with the plugin once over many small case files and read its diagnostics.

A case file states what mypy must say on each line in a trailing comment, mypy-test-data
style: ``# E: <message>  [<code>]`` for an error, ``# N: <message>`` for a note (only
``reveal_type`` notes are compared). A line without such a comment must get no diagnostic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "cases"
BUGS = ROOT / "examples" / "bugs"
EXAMPLES = ROOT / "examples"

CONFIG = """\
[mypy]
plugins = shapely_nn.mypy_plugin
python_version = 3.11
strict = True
warn_unreachable = True
"""

_EXPECT = re.compile(r"#\s*([EN]):\s*(.*?)\s*$")
_OUTPUT = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): (?P<kind>error|note): (?P<msg>.*)$")


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One line of mypy output, as a case states it."""

    line: int
    kind: str  # "E" or "N"
    message: str  # with the "  [code]" suffix for errors

    def __str__(self) -> str:
        return f"{self.line}: {self.kind}: {self.message}"


def case_files() -> list[Path]:
    """Every file the plugin tests type-check: bugs, passing cases, examples."""
    return sorted(BUGS.glob("*.py")) + sorted(CASES.glob("*.py")) + sorted(EXAMPLES.glob("*.py"))


def expected(path: Path) -> list[Diagnostic]:
    """The diagnostics a case file states inline."""
    out: list[Diagnostic] = []
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        code = text.split("#", 1)
        if len(code) < 2:
            continue
        match = _EXPECT.search("#" + code[1])
        if match:
            out.append(Diagnostic(number, match.group(1), match.group(2)))
    return sorted(out)


def write_config(directory: Path) -> Path:
    """The mypy config the cases are checked with."""
    path = directory / "mypy.ini"
    path.write_text(CONFIG)
    return path


def run_mypy(files: list[Path], config: Path, cache: Path) -> tuple[str, str, int]:
    """One in-process mypy run over ``files``."""
    args = ["--config-file", str(config), "--cache-dir", str(cache), "--no-error-summary"]
    args += ["--no-pretty", "--show-error-codes", "--hide-error-context"]
    return api.run(args + [str(f) for f in files])


def parse(stdout: str) -> dict[Path, list[Diagnostic]]:
    """Diagnostics by file: errors, and the notes that reveal a type."""
    out: dict[Path, list[Diagnostic]] = {}
    for text in stdout.splitlines():
        match = _OUTPUT.match(text)
        if not match:
            continue
        kind = "E" if match.group("kind") == "error" else "N"
        message = match.group("msg")
        if kind == "N" and not message.startswith("Revealed type"):
            continue
        path = Path(match.group("path")).resolve()
        out.setdefault(path, []).append(Diagnostic(int(match.group("line")), kind, message))
    return {p: sorted(d) for p, d in out.items()}


_TYPEVAR_ID = re.compile(r"`-?\d+")
_UNPACK = re.compile(r"Unpack\[([A-Za-z_][\w.]*(?:\[[^\]]*\])?)\]")
_CODE = re.compile(r"\s+\[([a-z-]+)\]$")


def portable(d: Diagnostic) -> Diagnostic:
    """A diagnostic as every supported mypy release prints it.

    Only mypy's own spelling moves between releases: TypeVar ids and ``builtins.`` in
    revealed types, and the wording of its own errors (kept as line and code). The plugin's
    ``[shape]`` messages are compared word for word.
    """
    text = _UNPACK.sub(r"*\1", _TYPEVAR_ID.sub("", d.message)).replace("builtins.", "")
    code = _CODE.search(text)
    if d.kind == "N" or code is None or code.group(1) == "shape":
        return Diagnostic(d.line, d.kind, text)
    return Diagnostic(d.line, d.kind, f"(mypy's own message)  [{code.group(1)}]")
