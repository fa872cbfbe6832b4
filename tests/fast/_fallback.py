"""The check that a layer falls back to NumPy when one of its compiled kernels fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from shapely_nn.layers import _fast


def assert_falls_back(
    monkeypatch: pytest.MonkeyPatch, layer: Callable[[Any], Any], x: Any, kernel: str
) -> None:
    """With ``kernel`` failing to compile, ``layer(x)`` warns, answers what the NumPy path
    answers, and the fast kernels are switched off."""
    import numba.core.errors as numba_errors

    kernels = _fast.kernels()
    assert kernels is not None

    def broken(*args: object) -> None:
        raise numba_errors.TypingError("simulated typing failure")

    with _fast.fast_kernels(False):
        expected = layer(x).numpy()
    monkeypatch.setattr(kernels, kernel, broken)
    with pytest.warns(_fast.FastKernelWarning, match="compiled kernel failed.*TypingError"):
        got = layer(x).numpy()
    np.testing.assert_array_equal(got, expected)
    assert not _fast.fast_kernels_enabled()
