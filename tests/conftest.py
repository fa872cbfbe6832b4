"""Shared fixtures: a seeded generator, and NumPy errors that fail loudly."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _numpy_errors_raise() -> Iterator[None]:
    # Underflow to zero is normal in softmax and exp; overflow, nan and divide are bugs.
    old = np.seterr(all="raise", under="ignore")
    yield
    np.seterr(**old)


@pytest.fixture
def rng() -> np.random.Generator:
    """A generator with a fixed seed, fresh for each test."""
    return np.random.default_rng(20261123)


def _check_grads(model: Any, x: Any, *, inputs: Sequence[np.ndarray] = (), seed: int = 0) -> None:
    """gradcheck every parameter of ``model`` and the given input arrays on ``sum(y * w)``.

    ``x`` is what ``model`` takes (a tensor or a tuple of tensors); ``inputs`` are the arrays
    inside ``x`` whose gradients ``backward`` returns, in the order it returns them.
    """
    from shapely_nn import tensor
    from shapely_nn.train import gradcheck

    y, cache = model.forward(x)
    ys = y if isinstance(y, tuple) else (y,)
    gen = np.random.default_rng(seed)
    weights = [gen.standard_normal(t.numpy().shape) for t in ys]

    def loss() -> float:
        out = model(x)
        outs = out if isinstance(out, tuple) else (out,)
        return float(sum((o.numpy() * w).sum() for o, w in zip(outs, weights, strict=True)))

    grad_y = tuple(tensor(w) for w in weights)
    record, dx = model.backward(cache, grad_y if isinstance(y, tuple) else grad_y[0])
    assert sorted(record.as_dict()) == sorted(model.parameters()), "grads named unlike params"
    dxs = (dx if isinstance(dx, tuple) else (dx,))[: len(inputs)]
    arrays = {**model.parameters(), **{f"input{i}": a for i, a in enumerate(inputs)}}
    analytic = {**record.as_dict(), **{f"input{i}": d.numpy() for i, d in enumerate(dxs)}}
    gradcheck(loss, arrays, analytic)


@pytest.fixture
def check_grads() -> Callable[..., None]:
    """Finite-difference check of a model's ``backward`` (parameters and inputs)."""
    return _check_grads


# Here, not in tests/checkers: under xdist only the root conftest's hooks run on the controller.
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print what each checker catches in the bug gallery (recorded by the gallery test)."""
    lines = [
        str(value)
        for report in terminalreporter.stats.get("passed", [])
        for name, value in getattr(report, "user_properties", [])
        if name == "gallery"
    ]
    if lines:
        terminalreporter.write_sep("-", "other checkers on the bug gallery")
        for line in sorted(lines):
            terminalreporter.write_line(line)
