"""mypy weighs one of NumPy's dtype overloads, not all of them, where all would answer alike.

On an array with dims and no known dtype every overload item of an operator or reduction gets
the same loose signature, so mypy would check each in turn (``ndarray.__sub__`` has 18) and call
the plugin each time; an elementwise ufunc would infer its operands again for each of its items.
The plugin keeps one item (``_overloads.narrowed``): these tests count the checks and make sure
the items it sets aside never show in a message. ``ok_numpy_overloads.py`` holds the shapes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _mypy_cases import run_mypy, write_config

from shapely_nn.mypy_plugin import _numpy_ops
from shapely_nn.mypy_plugin._overloads import UNMATCHED

PROGRAM = '''\
import numpy as np
from jaxtyping import Float


def sub(x: Float[np.ndarray, "b 3"], y: Float[np.ndarray, "3"]) -> None:
    d = x - y


def reduce(x: Float[np.ndarray, "b 3"]) -> None:
    s = x.sum(axis=0, keepdims=True)


def wrapped(x: Float[np.ndarray, "b 3"], y: Float[np.ndarray, "3"]) -> None:
    t = np.tanh(x * y)


def clipped(x: Float[np.ndarray, "b 3"]) -> None:
    r = np.maximum(x, 0.0)
'''

MISUSED = '''\
import numpy as np
from jaxtyping import Float


def misuse(x: Float[np.ndarray, "b 3"]) -> None:
    x.sum(axis=0, bogus=1)
    x.reshape()
    x.__sub__()
    np.tanh(x, x, x)
'''


def _checked(
    tmp_path: Path, source: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, Counter[str]]:
    """mypy's report on ``source`` (in this process), and how often each NumPy rule ran."""
    calls: Counter[str] = Counter()
    run = _numpy_ops.run

    def counted(rule: Callable[..., Any], infos: Callable[[], Any], ctx: Any) -> Any:
        calls[str(getattr(ctx.context, "line", 0))] += 1
        return run(rule, infos, ctx)

    monkeypatch.setattr(_numpy_ops, "run", counted)
    path = tmp_path / "program.py"
    path.write_text(source)
    stdout, stderr, _ = run_mypy([path], write_config(tmp_path), tmp_path / "cache")
    assert "INTERNAL ERROR" not in stdout + stderr, stdout + stderr
    return stdout, calls


def test_mypy_checks_one_overload_item_of_an_op_on_loose_arrays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One rule run per check of ``x - y`` and ``x.sum(...)`` (18 and 7 items before)."""
    stdout, calls = _checked(tmp_path, PROGRAM, monkeypatch)
    assert "error" not in stdout, stdout
    assert calls["6"] == 1, calls
    assert calls["10"] == 1, calls


def test_a_ufunc_on_loose_arrays_infers_its_operand_twice_not_once_per_item(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``np.tanh(x * y)``: ``x * y`` checked without a type context and in the one item's
    (its three items each checked it again before), ``tanh`` itself once; ``np.maximum(x,
    0.0)`` once (four items before)."""
    _, calls = _checked(tmp_path, PROGRAM, monkeypatch)
    assert calls["14"] == 3, calls
    assert calls["18"] == 1, calls


def test_the_set_aside_items_never_show_in_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Calls that fit no item get mypy's own errors, listing the loose items only."""
    stdout, _ = _checked(tmp_path, MISUSED, monkeypatch)
    assert UNMATCHED not in stdout
    errors = [line.split(":")[1] for line in stdout.splitlines() if ": error:" in line]
    assert sorted(set(errors)) == ["6", "7", "8", "9"], stdout


def test_answers_are_kept_by_identity_and_bounded() -> None:
    """The plugin's memo finds an answer for the very object only (an equal one is another
    type to mypy's hooks), and drops everything once full."""
    from shapely_nn.mypy_plugin._memo import ByIdentity

    memo: ByIdentity[int] = ByIdentity(2)
    a, b, c = [0], [0], [1]
    assert memo.put(a, 1) == 1
    assert memo.get(a) == 1
    assert memo.get(b) is None
    memo.put(b, 2)
    memo.put(c, 3)
    assert (memo.get(a), memo.get(b), memo.get(c)) == (None, None, 3)
