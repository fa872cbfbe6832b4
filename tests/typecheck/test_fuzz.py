"""Hundreds of generated malformed annotations: mypy reports errors and never crashes.

Each generated function has one annotation mixing good dims with at least one bad one; the
whole batch goes through one mypy run. A crash is mypy's exit status 2 with a traceback
("INTERNAL ERROR"); a clean report is status 1 with an error on every generated line.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from _mypy_cases import parse, run_mypy

GOOD = ["B", "H", "L[3]", "L[0]", "int", "Any", "Add[B, L[2]]", "Mul[L[2], H]"]
# Each of these is an error wherever it stands in a shape.
BAD = [
    "1.5",
    '"64"',
    "str",
    "float",
    'L["a"]',
    "L[True]",
    "L[-1]",
    "Undefined",
    "list[int]",
    "None",
    "Add[str]",
    "Mul[B, 2]",
    "FloorDiv[B, H]",
    "FloorDiv[B]",
    "Add[B, None]",
    "Tensor[B]",
    "*B",
    "*str",
]
HEADER = """\
from typing import Any, Literal as L, TypeVar, TypeVarTuple

from shapely_nn import Add, FloorDiv, Mul, Tensor
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)
H = TypeVar("H", bound=int)
S = TypeVarTuple("S")
"""


def _bad_dim(rng: random.Random) -> str:
    bad = rng.choice(BAD)
    wrapper = rng.choice(["{}", "{}", "Add[{}, B]", "Mul[H, {}]", "Add[Mul[L[2], {}], H]"])
    return bad if bad.startswith("*") else wrapper.format(bad)


def annotation(rng: random.Random) -> str:
    """A ``Tensor[...]`` with one to four dims, at least one of them malformed."""
    dims = [rng.choice(GOOD) for _ in range(rng.randint(0, 3))]
    dims.insert(rng.randint(0, len(dims)), _bad_dim(rng))
    if rng.random() < 0.3:
        dims.insert(0, "*S")
    return f"Tensor[{', '.join(dims)}]"


def program(rng: random.Random, count: int) -> tuple[str, list[int]]:
    """A module of ``count`` functions, each using a malformed shape, and their lines."""
    lines = HEADER.splitlines()
    bad_lines: list[int] = []
    for i in range(count):
        ann = annotation(rng)
        lines.append(f"def f{i}(x: {ann}, lin: Linear[L[3], L[4]]) -> {ann}:")
        bad_lines.append(len(lines))
        lines.append("    lin(x)")
        lines.append("    return x")
    return "\n".join(lines) + "\n", bad_lines


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_malformed_annotations_never_crash(seed: int, tmp_path: Path, mypy_work: Path) -> None:
    """100 malformed annotations per module: errors on each of their lines, no crash."""
    rng = random.Random(seed)
    source, bad_lines = program(rng, 100)
    path = tmp_path / f"fuzz_{seed}.py"
    path.write_text(source)
    config = mypy_work / "mypy.ini"
    stdout, stderr, status = run_mypy([path], config, mypy_work / "cache")
    assert "INTERNAL ERROR" not in stdout + stderr and "Traceback" not in stdout + stderr
    assert status == 1, stdout + stderr
    errors = {d.line for d in parse(stdout).get(path.resolve(), []) if d.kind == "E"}
    missing = [n for n in bad_lines if n not in errors]
    assert not missing, [source.splitlines()[n - 1] for n in missing[:5]]
