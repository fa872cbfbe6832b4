"""The compiled inference of the attention and transformer layers, and the BLAS it calls.

``layer(x)`` on the compiled kernels (unmasked attention: fused heads, biases folded, fused
layer norms) gives the NumPy path's result: float64 to 1e-10 relative, float32 to 1e-5.
"""

from __future__ import annotations

import importlib
from typing import Any

import numba
import numpy as np
import pytest
from _fallback import assert_falls_back

from shapely_nn import Tensor
from shapely_nn.layers import MultiHeadAttention, TransformerEncoderLayer, _fast

KERNELS: Any = importlib.import_module("shapely_nn.layers._kernels_numba")
TOLERANCE = {np.float64: 1e-10, np.float32: 1e-5}


def assert_rel(a: Any, b: Any, rtol: float, what: str) -> None:
    """Relative closeness in the Euclidean norm (elementwise closeness near zero is noise)."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert x.shape == y.shape, what
    scale = max(float(np.linalg.norm(x)), float(np.linalg.norm(y)), 1e-30)
    error = float(np.linalg.norm(x - y)) / scale
    assert error <= rtol, f"{what}: relative error {error:.3g} > {rtol:g}"


def _needs_blas() -> None:
    # NumPy's wheels (what the test extra installs) link OpenBLAS's ILP64 CBLAS; the path
    # without it is tested in a subprocess that hides it (test_fast_switch).
    assert KERNELS.HAS_BLAS, "this NumPy links no ILP64 CBLAS: the compiled BLAS path is untested"


@numba.njit
def _gemm_at_compiled(*args: Any) -> None:
    KERNELS.gemm_at(*args)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_gemm_at_is_numpys_product(dtype: Any, trans_a: bool, trans_b: bool) -> None:
    _needs_blas()
    rng = np.random.default_rng(3)
    m, n, k = 5, 7, 3
    # each operand a block inside a larger array, at an offset, rows ``ld`` elements apart
    a_big = rng.standard_normal((12, 11)).astype(dtype)
    b_big = rng.standard_normal((13, 9)).astype(dtype)
    a_block = a_big[2 : 2 + (k if trans_a else m), 3 : 3 + (m if trans_a else k)]
    b_block = b_big[1 : 1 + (n if trans_b else k), 2 : 2 + (k if trans_b else n)]
    expected = (a_block.T if trans_a else a_block) @ (b_block.T if trans_b else b_block)
    for gemm in (_gemm_at_compiled, KERNELS.gemm_at):  # compiled, and the Python reference
        c_big = np.full((8, 12), 7.0, dtype=dtype)
        gemm(trans_a, trans_b, m, n, k, a_big, 2 * 11 + 3, 11, b_big, 9 + 2, 9, c_big, 12 + 4, 12)
        np.testing.assert_allclose(c_big[1:6, 4:11], expected, rtol=TOLERANCE[dtype])
        untouched = np.ones_like(c_big, dtype=bool)
        untouched[1:6, 4:11] = False
        assert (c_big[untouched] == 7.0).all(), "wrote outside its block"


def _mha_call(layer: Any, inputs: tuple[Any, ...], fast: bool) -> np.ndarray[Any, Any]:
    with _fast.fast_kernels(fast):
        out: np.ndarray[Any, Any] = layer(*inputs).numpy()
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mode", ["self", "shared_kv", "separate"])
@pytest.mark.parametrize("lengths", [(7, 7), (19, 5), (3, 33)])
def test_mha_call_paths_agree(dtype: Any, mode: str, lengths: tuple[int, int]) -> None:
    _needs_blas()
    rng = np.random.default_rng(9)
    layer = MultiHeadAttention.from_arrays(
        *(rng.standard_normal(s).astype(dtype) for s in ((36, 12), (36,), (12, 12), (12,))),
        num_heads=3,
    )
    tq, tk = lengths if mode != "self" else (lengths[0], lengths[0])
    query = Tensor(rng.standard_normal((2, 3, tq, 12)).astype(dtype))
    key = Tensor(rng.standard_normal((2, 3, tk, 12)).astype(dtype))
    value = Tensor(rng.standard_normal((2, 3, tk, 12)).astype(dtype))
    inputs = {"self": (query,), "shared_kv": (query, key), "separate": (query, key, value)}[mode]
    compiled, reference = (_mha_call(layer, inputs, fast) for fast in (True, False))
    assert_rel(compiled, reference, TOLERANCE[dtype], f"MultiHeadAttention {mode} call")
    with _fast.fast_kernels(True):
        forward = layer.forward(*inputs)[0].numpy()
    assert_rel(compiled, forward, TOLERANCE[dtype], f"MultiHeadAttention {mode} call/forward")


def test_mha_call_survives_large_scores() -> None:
    _needs_blas()
    rng = np.random.default_rng(4)
    layer = MultiHeadAttention(8, 2, rng=0, dtype=np.float32)
    x = Tensor((300 * rng.standard_normal((2, 21, 8))).astype(np.float32))
    compiled, reference = (_mha_call(layer, (x,), fast) for fast in (True, False))
    assert np.isfinite(compiled).all()
    assert_rel(compiled, reference, 1e-5, "large scores")


def test_masked_mha_call_is_the_forward_output() -> None:
    rng = np.random.default_rng(5)
    layer = MultiHeadAttention(8, 2, rng=0, dtype=np.float64)
    x = Tensor(rng.standard_normal((2, 6, 8)))
    padding = Tensor(np.array([[False] * 5 + [True], [False] * 6]))
    with _fast.fast_kernels(True):
        called = layer(x, key_padding_mask=padding).numpy()
        forward = layer.forward(x, key_padding_mask=padding)[0].numpy()
    np.testing.assert_array_equal(called, forward)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_call_paths_agree(dtype: Any, activation: Any) -> None:
    _needs_blas()
    rng = np.random.default_rng(10)
    layer = TransformerEncoderLayer(16, 4, 40, activation=activation, rng=2, dtype=dtype)
    x = Tensor(rng.standard_normal((3, 2, 11, 16)).astype(dtype))
    results = []
    for fast in (True, False):
        with _fast.fast_kernels(fast):
            results.append(layer(x).numpy())
    assert_rel(results[0], results[1], TOLERANCE[dtype], f"encoder layer {activation} call")


def test_a_failing_inference_kernel_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    saved = (_fast._kernels, _fast._forced)
    _fast.set_fast_kernels(True)
    rng = np.random.default_rng(1)
    layer = TransformerEncoderLayer(8, 2, 16, rng=0, dtype=np.float64)
    x = Tensor(rng.standard_normal((2, 5, 8)))
    try:
        assert_falls_back(monkeypatch, layer, x, "attention_heads")
    finally:
        _fast._kernels, _fast._forced = saved
