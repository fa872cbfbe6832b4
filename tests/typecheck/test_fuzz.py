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


# ---- jaxtyping dim strings -----------------------------------------------------------
PIECES = ["b", "t", "64", "1", "_", "#b", "*batch", "...", "i+h", "4*h", "n-1", "h//2", "b**2"]
NOISE = ["#", "*", "_", "?", "+", ",", ".", "(", ")", "=", "-", "/", "...", "##", "x=3", "3b"]
JAX_HEADER = "import numpy as np\nfrom jaxtyping import Float\n"


def dim_string(rng: random.Random) -> str:
    """A jaxtyping dim string: good pieces, sometimes glued to noise."""
    words = []
    for _ in range(rng.randint(0, 4)):
        word = rng.choice(PIECES)
        if rng.random() < 0.4:
            noise = rng.choice(NOISE)
            word = noise + word if rng.random() < 0.5 else word + noise
        words.append(word)
    return " ".join(words)


def jaxtyping_accepts(spec: str) -> bool:
    """jaxtyping's verdict at run time: it refuses at subscript, or at the first call when a
    symbolic dim is not Python."""
    import ast

    import jaxtyping
    import numpy as np

    try:
        jaxtyping.Float[np.ndarray, spec]
    except ValueError:
        return False
    for word in spec.split():
        core = word.lstrip("#*_?").split("=")[-1]
        if core and not core.isidentifier() and not core.lstrip("-").isdigit():
            try:
                ast.parse(core, mode="eval")
            except SyntaxError:
                return False
    return True


def test_jaxtyping_strings_never_crash_and_agree_with_jaxtyping(
    tmp_path: Path, mypy_work: Path
) -> None:
    """300 generated dim strings: an error exactly where jaxtyping refuses one, no crash."""
    rng = random.Random(7)
    lines = JAX_HEADER.splitlines()
    verdicts: dict[int, tuple[str, bool]] = {}
    for i in range(300):
        spec = dim_string(rng)
        lines.append(f"def g{i}(x: Float[np.ndarray, {spec!r}]) -> None: ...")
        verdicts[len(lines)] = (spec, jaxtyping_accepts(spec))
    path = tmp_path / "jax_fuzz.py"
    path.write_text("\n".join(lines) + "\n")
    stdout, stderr, status = run_mypy([path], mypy_work / "mypy.ini", mypy_work / "cache")
    assert "INTERNAL ERROR" not in stdout + stderr and "Traceback" not in stdout + stderr
    assert status == 1, stdout + stderr
    errors = {d.line for d in parse(stdout).get(path.resolve(), []) if d.kind == "E"}
    wrong = [(spec, ok) for line, (spec, ok) in verdicts.items() if (line in errors) == ok]
    assert not wrong, wrong[:10]
    assert sum(not ok for _, ok in verdicts.values()) > 30  # the fuzz does produce bad strings
