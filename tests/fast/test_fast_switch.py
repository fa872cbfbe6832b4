"""The switch to the compiled kernels: env var, API, and the fallback to NumPy when they fail."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from _fallback import assert_falls_back

from shapely_nn import Tensor
from shapely_nn.layers import _fast
from shapely_nn.modules import GRU, LSTM


@pytest.fixture(autouse=True)
def _fresh_loader(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test loads the kernels afresh and leaves the process's setting as it found it."""
    monkeypatch.delenv("SHAPELY_NN_FAST", raising=False)
    saved = (_fast._kernels, _fast._forced)
    _fast.reset_for_tests()
    _fast.set_fast_kernels(None)
    yield
    _fast._kernels, _fast._forced = saved


def _break_import(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    real = importlib.import_module

    def fake(module: str, package: str | None = None) -> ModuleType:
        if module == name:
            raise ImportError(f"simulated: cannot import {name}")
        return real(module, package)

    monkeypatch.setattr(_fast.importlib, "import_module", fake)


def _lstm_output(dtype: Any = np.float64) -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(0)
    layer = LSTM(3, 5, rng=1, dtype=dtype)
    x: Tensor[Any, Any, Any] = Tensor(rng.standard_normal((4, 2, 3)).astype(dtype))
    return layer(x).numpy()


def test_env_var_zero_forces_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAPELY_NN_FAST", "0")
    assert _fast.kernels() is None
    assert not _fast.fast_kernels_enabled()


def test_api_overrides_the_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    import numba  # noqa: F401  (the test extra installs it: no skip)

    monkeypatch.setenv("SHAPELY_NN_FAST", "0")
    _fast.set_fast_kernels(True)
    assert _fast.fast_kernels_enabled()
    _fast.set_fast_kernels(False)
    assert not _fast.fast_kernels_enabled()
    _fast.set_fast_kernels(None)  # back to the env var
    assert not _fast.fast_kernels_enabled()


def test_context_manager_restores_the_setting() -> None:
    _fast.set_fast_kernels(False)
    with _fast.fast_kernels(True):
        assert _fast._forced is True
    assert _fast._forced is False


def test_broken_extra_falls_back_with_one_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    import numba  # noqa: F401  (the test extra installs it: no skip)

    expected = _lstm_output()  # reference, before breaking anything (fast or not: same)
    _fast.reset_for_tests()
    _break_import(monkeypatch, "shapely_nn.layers._kernels_numba")
    with pytest.warns(_fast.FastKernelWarning, match="failed to load.*NumPy kernels instead"):
        first = _lstm_output()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # only one warning: the second call is silent
        second = _lstm_output()
    assert not _fast.fast_kernels_enabled()
    np.testing.assert_allclose(first, expected, rtol=1e-12)
    np.testing.assert_array_equal(first, second)


def test_missing_numba_is_silent_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    _break_import(monkeypatch, "numba")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = _lstm_output()
    assert out.shape == (4, 2, 5)
    assert _fast.kernels() is None


def test_missing_numba_warns_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    _break_import(monkeypatch, "numba")
    monkeypatch.setenv("SHAPELY_NN_FAST", "1")
    with pytest.warns(_fast.FastKernelWarning, match="numba is not installed"):
        assert _fast.kernels() is None


def test_a_kernel_that_fails_to_compile_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    layer = GRU(3, 4, rng=0, dtype=np.float64)
    x: Tensor[Any, Any, Any] = Tensor(rng.standard_normal((5, 2, 3)))
    assert_falls_back(monkeypatch, layer, x, "gru_loop")


def test_a_user_error_inside_a_run_is_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    import numba  # noqa: F401  (the test extra installs it: no skip)

    kernels = _fast.kernels()

    def broken(*args: object) -> None:
        raise ValueError("not numba's")

    monkeypatch.setattr(kernels, "gru_loop", broken)
    layer = GRU(3, 4, rng=0)
    x: Tensor[Any, Any, Any] = Tensor(np.zeros((5, 2, 3), np.float32))
    with pytest.raises(ValueError, match="not numba's"):
        layer(x)
    assert _fast.fast_kernels_enabled()


def test_a_failing_row_kernel_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    import numba.core.errors as numba_errors

    from shapely_nn.layers import LayerNorm

    kernels = _fast.kernels()

    def broken(*args: object) -> None:
        raise numba_errors.TypingError("simulated typing failure")

    layer = LayerNorm(6, dtype=np.float64)
    x: Tensor[Any, Any] = Tensor(np.random.default_rng(1).standard_normal((4, 6)))
    with _fast.fast_kernels(False):
        expected = layer(x).numpy()
    monkeypatch.setattr(kernels, "layernorm_rows", broken)
    with pytest.warns(_fast.FastKernelWarning, match="compiled kernel failed"):
        got = layer(x).numpy()
    np.testing.assert_array_equal(got, expected)


_WITHOUT_BLAS = """
import ctypes, numba, llvmlite.binding  # these load their own libraries first
import numpy as np

def refuse(*args, **kwargs):
    raise OSError("simulated: no library to search for BLAS symbols")

ctypes.CDLL = refuse
from shapely_nn import Tensor
from shapely_nn.layers import MultiHeadAttention, _fast
from shapely_nn.modules import LSTM

assert _fast.kernels() is not None and not _fast.kernels().HAS_BLAS
rng = np.random.default_rng(0)
cases = [
    (LSTM(3, 40, rng=0, dtype=np.float64), Tensor(rng.standard_normal((5, 30, 3)))),
    (MultiHeadAttention(8, 2, rng=0, dtype=np.float64), Tensor(rng.standard_normal((2, 5, 8)))),
]
for layer, x in cases:
    compiled = layer(x).numpy()
    with _fast.fast_kernels(False):
        np.testing.assert_allclose(compiled, layer(x).numpy(), rtol=1e-10)
print("ok")
"""


def test_the_kernels_run_without_numpys_blas() -> None:
    """Where NumPy links no ILP64 CBLAS the kernels still load (stubs stand in for BLAS's names,
    never called) and every layer gives the NumPy result, with products from NumPy."""
    import subprocess
    import sys

    import numba  # noqa: F401  (the test extra installs it: no skip)

    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", _WITHOUT_BLAS],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
