"""BiRNN, BiLSTM, BiGRU: the seeds' reverse-run-reverse-concat, and torch bidirectional=True."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from _helpers import assert_rel_close, assert_torch_grads, check_gradients, torch_tensor

from shapely_nn import ShapeError, Tensor
from shapely_nn.io import to_torch
from shapely_nn.modules import GRU, LSTM, RNN, Bidirectional, BiGRU, BiLSTM, BiRNN

IN, H = 3, 4
KINDS = [(BiRNN, RNN), (BiLSTM, LSTM), (BiGRU, GRU)]


def _arr(rng: np.random.Generator, *shape: int, dtype: type = np.float32) -> np.ndarray:
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize(("bi", "single"), KINDS)
def test_output_is_forward_run_and_reversed_backward_run_concatenated(
    bi: Any, single: Any, rng: np.random.Generator
) -> None:
    layer = bi(IN, H, rng=0, dtype=np.float64)
    assert isinstance(layer.forward_layer, single) and isinstance(layer.backward_layer, single)
    x = _arr(rng, 5, 2, IN, dtype=np.float64)
    y = layer(Tensor(x))
    assert y.shape.dims == (5, 2, 2 * H)
    forward = layer.forward_layer(Tensor(x)).numpy()
    backward = layer.backward_layer(Tensor(x[::-1].copy())).numpy()[::-1]
    np.testing.assert_array_equal(y.numpy(), np.concatenate([forward, backward], axis=-1))


@pytest.mark.parametrize(("bi", "single"), KINDS)
def test_matches_torch_bidirectional(bi: Any, single: Any, rng: np.random.Generator) -> None:
    layer = bi(IN, H, rng=rng)
    x, gy = _arr(rng, 5, 2, IN), _arr(rng, 5, 2, 2 * H)
    y, cache = layer.forward(Tensor(x))
    grads, dx = layer.backward(cache, Tensor(gy))
    module = to_torch(layer)
    assert module.bidirectional
    xt = torch_tensor(x, True)
    yt, _ = module(xt)
    (yt * torch.from_numpy(gy)).sum().backward()
    assert_rel_close(y, yt, what="y")
    assert_rel_close(dx, xt.grad, what="dx")
    assert_torch_grads(module, layer.forward_layer, grads.forward_layer, "_l0")
    assert_torch_grads(module, layer.backward_layer, grads.backward_layer, "_l0_reverse")


def test_final_states_match_torch_h_n(rng: np.random.Generator) -> None:
    layer = BiLSTM(IN, H, rng=rng)
    x = _arr(rng, 4, 3, IN)
    _, ((h_f, c_f), (h_b, c_b)) = layer.run(Tensor(x))
    _, (h_n, c_n) = to_torch(layer)(torch.from_numpy(x))
    assert_rel_close(h_f, h_n[0], what="forward h_n")
    assert_rel_close(h_b, h_n[1], what="backward h_n")
    assert_rel_close(c_f, c_n[0], what="forward c_n")
    assert_rel_close(c_b, c_n[1], what="backward c_n")


def test_bilstm_gradients_pass_gradcheck(rng: np.random.Generator) -> None:
    layer = BiLSTM(2, 2, rng=rng, dtype=np.float64)
    x, w = _arr(rng, 3, 2, 2, dtype=np.float64), _arr(rng, 3, 2, 4, dtype=np.float64)
    _, cache = layer.forward(Tensor(x))
    grads, dx = layer.backward(cache, Tensor(w))
    assert grads.as_dict().keys() == layer.parameters().keys()
    check_gradients(
        lambda: float(np.sum(layer(Tensor(x)).numpy() * w)),
        {**layer.parameters(), "x": x},
        {**grads.as_dict(), "x": dx},
    )


def test_bigru_gradients_including_states_pass_gradcheck(rng: np.random.Generator) -> None:
    layer = BiGRU(2, 2, rng=rng, dtype=np.float64)
    x, w = _arr(rng, 3, 2, dtype=np.float64), _arr(rng, 3, 4, dtype=np.float64)
    h_f, h_b = _arr(rng, 2, dtype=np.float64), _arr(rng, 2, dtype=np.float64)
    w_f, w_b = _arr(rng, 2, dtype=np.float64), _arr(rng, 2, dtype=np.float64)

    def loss() -> float:
        y, (f, b) = layer.run(Tensor(x), (Tensor(h_f), Tensor(h_b)))
        return float(np.sum(y.numpy() * w) + np.sum(f.numpy() * w_f) + np.sum(b.numpy() * w_b))

    _, cache = layer.forward(Tensor(x), (Tensor(h_f), Tensor(h_b)))
    grads, dx, (d_f, d_b) = layer.backward_through_time(
        cache, Tensor(w), (Tensor(w_f), Tensor(w_b))
    )
    check_gradients(
        loss,
        {**layer.parameters(), "x": x, "h_f": h_f, "h_b": h_b},
        {**grads.as_dict(), "x": dx, "h_f": d_f, "h_b": d_b},
    )


def test_directions_must_agree() -> None:
    with pytest.raises(TypeError, match="both directions must be one kind, got LSTM and GRU"):
        Bidirectional(LSTM(IN, H, rng=0), GRU(IN, H, rng=0))
    with pytest.raises(ShapeError, match=r"forward \[3, 4\], backward \[3, 5\]"):
        Bidirectional(LSTM(IN, H, rng=0), LSTM(IN, 5, rng=0))


def test_wrong_input_size_is_a_shape_error() -> None:
    with pytest.raises(ShapeError, match=r"LSTM\[3, 4\] expects last dim In = 3, got 2"):
        BiLSTM(IN, H, rng=0)(Tensor(np.zeros((4, 2), np.float32)))


def test_wrong_grad_shape_is_a_shape_error(rng: np.random.Generator) -> None:
    layer = BiRNN(IN, H, rng=0)
    _, cache = layer.forward(Tensor(_arr(rng, 4, 2, IN)))
    with pytest.raises(
        ShapeError,
        match=r"BiRNN\[3, 4\]\.backward: grad_y has shape \[4, 2, 4\], expected \[4, 2, 8\]",
    ):
        layer.backward(cache, Tensor(np.zeros((4, 2, 4), np.float32)))
