"""Render ``docs/errors.md`` from the bug gallery (``examples/bugs``).

Run ``python tests/typecheck/_errors_doc.py`` to regenerate; a test checks it is current.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _mypy_cases import BUGS, ROOT, expected

DOC = ROOT / "docs" / "errors.md"

INTRO = """\
# Shape errors reported by the mypy plugin

Generated from `examples/bugs/` by `tests/typecheck/_errors_doc.py`; do not edit by hand.
Each entry is a small realistic bug, the line mypy flags, and its message. Every message
has the error code `shape`, so `# type: ignore[shape]` silences one deliberately.

Run them yourself: `mypy examples/bugs/<name>.py` with `plugins = shapely_nn.mypy_plugin`.
"""


def entry(path: Path) -> str:
    """One bug: its title, why it is a bug, the code and what mypy says."""
    source = path.read_text()
    doc = ast.get_docstring(ast.parse(source)) or path.stem
    title, _, why = doc.partition("\n")
    body = source.split('"""', 2)[2].strip("\n")
    code = "\n".join(line.split("  # E:")[0] for line in body.splitlines())
    errors = [d for d in expected(path) if d.kind == "E"]
    said = "\n".join(f"{path.name}:{d.line}: error: {d.message}" for d in errors)
    return (
        f"## {title.rstrip('.')}\n\n`examples/bugs/{path.name}`. {why.strip()}\n\n"
        f"```python\n{code}\n```\n\n```text\n{said}\n```\n"
    )


def render() -> str:
    """The whole document."""
    entries = [entry(p) for p in sorted(BUGS.glob("*.py"))]
    return INTRO + "\n" + "\n".join(entries)


if __name__ == "__main__":
    DOC.write_text(render())
    print(f"wrote {DOC}")
