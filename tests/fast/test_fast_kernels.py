"""The compiled recurrent kernels give the NumPy kernels' results, forward and backward.

float64 to 1e-10 relative, float32 to 1e-5, for every fused layer, on each compiled variant of
a time loop (the ``variant`` fixture, ``conftest.py``).
Skipped only when numba is not installed (the ``test`` extra installs it).
"""

from __future__ import annotations

from typing import Any

import numba  # noqa: F401  (the test extra installs it: no skip)
import numpy as np
import pytest

from shapely_nn import ShapeError, Tensor
from shapely_nn.layers import (
    GRUCell,
    LayerNorm,
    LSTMCell,
    MultiHeadAttention,
    RNNCell,
    TransformerEncoderLayer,
    _fast,
)
from shapely_nn.modules import GRU, LSTM, RNN
from shapely_nn.train import gradcheck

SEQUENCES = {"RNN": RNN, "GRU": GRU, "LSTM": LSTM}
CELLS = {"RNN": RNNCell, "GRU": GRUCell, "LSTM": LSTMCell}
TOLERANCE = {np.float64: 1e-10, np.float32: 1e-5}


def assert_rel(a: Any, b: Any, rtol: float, what: str) -> None:
    """Relative closeness in the Euclidean norm (elementwise closeness near zero is noise)."""
    x = np.asarray(a.numpy() if isinstance(a, Tensor) else a, dtype=np.float64)
    y = np.asarray(b.numpy() if isinstance(b, Tensor) else b, dtype=np.float64)
    assert x.shape == y.shape, what
    scale = max(float(np.linalg.norm(x)), float(np.linalg.norm(y)), 1e-30)
    error = float(np.linalg.norm(x - y)) / scale
    assert error <= rtol, f"{what}: relative error {error:.3g} > {rtol:g}"


def run_sequence(kind: str, dtype: Any, fast: bool, batch: tuple[int, ...]) -> dict[str, Any]:
    """Forward, BPTT (with grads of the final state) and the call path on one path."""
    rng = np.random.default_rng(7)
    steps, in_size, hidden = 6, 5, 9
    layer: Any = SEQUENCES[kind](in_size, hidden, rng=3, dtype=dtype)
    x = Tensor(rng.standard_normal((steps, *batch, in_size)).astype(dtype))
    gy = Tensor(rng.standard_normal((steps, *batch, hidden)).astype(dtype))
    n_states = 2 if kind == "LSTM" else 1
    states = tuple(
        Tensor(rng.standard_normal((*batch, hidden)).astype(dtype)) for _ in range(n_states)
    )
    g_final = tuple(
        Tensor(rng.standard_normal((*batch, hidden)).astype(dtype)) for _ in range(n_states)
    )
    initial = states if kind == "LSTM" else states[0]
    grad_final = g_final if kind == "LSTM" else g_final[0]
    with _fast.fast_kernels(fast):
        assert _fast.fast_kernels_enabled() is fast
        y, cache = layer.forward(x, initial)
        grads, dx, d_initial = layer.backward_through_time(cache, gy, grad_final)
        called, final = layer.run(x, initial)
    flat_final = final if kind == "LSTM" else (final,)
    flat_d = d_initial if kind == "LSTM" else (d_initial,)
    out = {"y": y, "dx": dx, "call": called, **grads.as_dict()}
    out |= {f"final{i}": s for i, s in enumerate(flat_final)}
    out |= {f"d_initial{i}": d for i, d in enumerate(flat_d)}
    return out


@pytest.mark.parametrize("kind", list(SEQUENCES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch", [(1,), (3, 4)])
def test_sequence_paths_agree(kind: str, dtype: Any, batch: tuple[int, ...], variant: str) -> None:
    numpy_path = run_sequence(kind, dtype, False, batch)
    compiled = run_sequence(kind, dtype, True, batch)
    assert sorted(numpy_path) == sorted(compiled)
    for name, value in numpy_path.items():
        assert_rel(compiled[name], value, TOLERANCE[dtype], f"{kind} {variant} {name}")


@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cell_paths_agree(kind: str, dtype: Any, variant: str) -> None:
    rng = np.random.default_rng(11)
    cell: Any = CELLS[kind](4, 6, rng=1, dtype=dtype)
    x = Tensor(rng.standard_normal((5, 4)).astype(dtype))
    n_states = 2 if kind == "LSTM" else 1
    states = tuple(Tensor(rng.standard_normal((5, 6)).astype(dtype)) for _ in range(n_states))
    state = states if kind == "LSTM" else states[0]
    results = []
    for fast in (False, True):
        with _fast.fast_kernels(fast):
            y, cache = cell.forward(x, state)
            grads, dx, d_state = cell.backward(cache, y)
            called = cell(x, state)
            out = {"dx": dx, **grads.as_dict()}
            out |= {f"y{i}": v for i, v in enumerate(y if isinstance(y, tuple) else (y,))}
            out |= {f"d{i}": v for i, v in enumerate(_states(d_state))}
            out |= {f"call{i}": v for i, v in enumerate(_states(called))}
            results.append(out)
    for name, value in results[0].items():
        assert_rel(results[1][name], value, TOLERANCE[dtype], f"{kind} cell {name}")


def _states(value: Any) -> tuple[Any, ...]:
    return value if isinstance(value, tuple) else (value,)


@pytest.mark.parametrize("kind", list(SEQUENCES))
@pytest.mark.parametrize("made_by_fast", [True, False])
def test_a_tape_from_one_path_is_reversed_by_the_other(
    kind: str, made_by_fast: bool, variant: str
) -> None:
    rng = np.random.default_rng(2)
    layer: Any = SEQUENCES[kind](3, 8, rng=0, dtype=np.float64)
    x: Tensor[Any, Any, Any] = Tensor(rng.standard_normal((4, 2, 3)))
    gy: Tensor[Any, Any, Any] = Tensor(rng.standard_normal((4, 2, 8)))
    with _fast.fast_kernels(made_by_fast):
        _, cache = layer.forward(x)
    results = []
    for fast in (False, True):
        with _fast.fast_kernels(fast):
            results.append(layer.backward(cache, gy))
    (grads_numpy, dx_numpy), (grads_fast, dx_fast) = results
    assert_rel(dx_fast, dx_numpy, 1e-10, "dx")
    for name, value in grads_numpy.as_dict().items():
        assert_rel(grads_fast.as_dict()[name], value, 1e-10, name)


@pytest.mark.parametrize("kind", list(SEQUENCES))
def test_gradcheck_on_the_compiled_path(kind: str, variant: str) -> None:
    rng = np.random.default_rng(5)
    layer: Any = SEQUENCES[kind](3, 4, rng=1, dtype=np.float64)
    x = rng.standard_normal((5, 2, 3))
    weights = rng.standard_normal((5, 2, 4))
    with _fast.fast_kernels(True):
        _, cache = layer.forward(Tensor(x))
        grads, dx = layer.backward(cache, Tensor(weights))

        def loss() -> float:
            return float((layer(Tensor(x)).numpy() * weights).sum())

        arrays = {**layer.parameters(), "x": x}
        analytic = {**grads.as_dict(), "x": dx.numpy()}
        worst = gradcheck(loss, arrays, analytic).worst
    assert worst <= 1e-6, f"{kind}: gradcheck error {worst:.3g}"


@pytest.mark.parametrize("kind", list(SEQUENCES))
def test_compiled_path_refuses_what_numpy_refuses(kind: str) -> None:
    layer: Any = SEQUENCES[kind](3, 4, rng=1)
    bad_width: Tensor[Any, Any, Any] = Tensor(np.zeros((5, 2, 7), np.float32))
    bad_dtype: Tensor[Any, Any, Any] = Tensor(np.zeros((5, 2, 3)))
    messages = []
    for fast in (False, True):
        with _fast.fast_kernels(fast):
            found = []
            for bad in (bad_width, bad_dtype):
                for run in (layer, layer.forward):
                    with pytest.raises((ShapeError, TypeError)) as err:
                        run(bad)
                    found.append((type(err.value), str(err.value)))
            messages.append(found)
    assert messages[0] == messages[1]


# ---- LayerNorm rows (used by LayerNorm and the transformer layers) ---------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_layernorm_paths_agree(dtype: Any) -> None:
    rng = np.random.default_rng(4)
    layer = LayerNorm.from_arrays(
        rng.standard_normal(24).astype(dtype), rng.standard_normal(24).astype(dtype), eps=1e-3
    )
    x = Tensor((3 * rng.standard_normal((5, 7, 24)) + 1).astype(dtype))
    gy = Tensor(rng.standard_normal((5, 7, 24)).astype(dtype))
    results = []
    for fast in (False, True):
        with _fast.fast_kernels(fast):
            y, cache = layer.forward(x)
            grads, dx = layer.backward(cache, gy)
            results.append({"y": y, "dx": dx, "call": layer(x), **grads.as_dict()})
    for name, value in results[0].items():
        assert_rel(results[1][name], value, TOLERANCE[dtype], f"LayerNorm {name}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_transformer_layer_paths_agree(dtype: Any) -> None:
    rng = np.random.default_rng(6)
    layer = TransformerEncoderLayer(16, 2, 32, rng=1, dtype=dtype)
    x = Tensor(rng.standard_normal((3, 9, 16)).astype(dtype))
    gy = Tensor(rng.standard_normal((3, 9, 16)).astype(dtype))
    results = []
    for fast in (False, True):
        with _fast.fast_kernels(fast):
            y, cache = layer.forward(x, causal=True)
            grads, dx = layer.backward(cache, gy)
            results.append({"y": y, "dx": dx, **_flat_grads(grads.as_dict())})
    for name, value in results[0].items():
        assert_rel(results[1][name], value, TOLERANCE[dtype], f"transformer {name}")


def _flat_grads(grads: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in grads.items():
        if isinstance(value, dict):
            out |= _flat_grads(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


# ---- attention softmax (unmasked rows run compiled; masked ones stay on NumPy) -----------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("causal", [False, True])
def test_attention_paths_agree(dtype: Any, causal: bool) -> None:
    rng = np.random.default_rng(8)
    layer = MultiHeadAttention(16, 4, rng=2, dtype=dtype)
    x = Tensor((4 * rng.standard_normal((3, 7, 16))).astype(dtype))
    gy = Tensor(rng.standard_normal((3, 7, 16)).astype(dtype))
    results = []
    for fast in (False, True):
        with _fast.fast_kernels(fast):
            y, cache = layer.forward(x, causal=causal)
            grads, dq, _, _ = layer.backward(cache, gy)
            called = layer(x, causal=causal)
            results.append({"y": y, "dq": dq, "call": called, **_flat_grads(grads.as_dict())})
    for name, value in results[0].items():
        assert_rel(results[1][name], value, TOLERANCE[dtype], f"attention {name}")


def test_compiled_softmax_rows_sum_to_one_and_survive_large_scores() -> None:
    kernels = _fast.kernels()
    assert kernels is not None
    rows = np.array([[1e4, 0.0, -1e4], [-50.0, -50.0, -50.0], [88.0, 87.0, 0.0]], np.float32)
    kernels.softmax_rows(rows, np.full(1, 1.0, np.float32))
    np.testing.assert_allclose(rows.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(rows[1], 1 / 3, rtol=1e-6)
    expected = np.exp(np.array([0.0, -1.0, -88.0])) / np.exp(np.array([0.0, -1.0, -88.0])).sum()
    np.testing.assert_allclose(rows[2], expected, rtol=1e-6, atol=1e-30)


@pytest.mark.parametrize("kind", list(SEQUENCES))
def test_an_empty_batch_runs_as_on_numpy(kind: str) -> None:
    layer: Any = SEQUENCES[kind](3, 4, rng=1)
    x: Tensor[Any, Any, Any] = Tensor(np.zeros((5, 0, 3), np.float32))
    shapes = []
    for fast in (False, True):
        with _fast.fast_kernels(fast):
            y, final = layer.run(x)
            finals = final if isinstance(final, tuple) else (final,)
            shapes.append((layer(x).shape, y.shape, *(s.shape for s in finals)))
    assert shapes[0] == shapes[1]
    assert shapes[1][0] == (5, 0, 4)
