"""RNNCell and the RNN sequence module: gradcheck, PyTorch parity, shapes, guards."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _helpers import assert_rel_close, assert_torch_grads, check_gradients, torch_tensor

from shapely_nn import GuardError, ShapeError, Tensor
from shapely_nn.io import to_torch
from shapely_nn.layers import RNNCell, RNNGrads
from shapely_nn.modules import RNN

IN, H = 3, 4


def _arr(rng: np.random.Generator, *shape: int, dtype: type = np.float32) -> np.ndarray:
    return rng.standard_normal(shape).astype(dtype)


def test_parameters_have_the_seed_layout() -> None:
    cell = RNNCell(IN, H, rng=0)
    assert cell.weight.shape == (H, IN + H) and cell.bias.shape == (H,)
    assert set(cell.parameters()) == {"weight", "bias"}


def test_cell_is_tanh_of_the_affine_map_on_x_h(rng: np.random.Generator) -> None:
    cell = RNNCell(IN, H, rng=0, dtype=np.float64)
    x, h = _arr(rng, 2, IN, dtype=np.float64), _arr(rng, 2, H, dtype=np.float64)
    expected = np.tanh(np.concatenate([x, h], -1) @ cell.weight.T + cell.bias)
    np.testing.assert_allclose(cell(Tensor(x), Tensor(h)).numpy(), expected, rtol=1e-12)


def test_cell_matches_torch_rnncell(rng: np.random.Generator) -> None:
    cell = RNNCell(IN, H, rng=rng)
    x, h, g = _arr(rng, 5, IN), _arr(rng, 5, H), _arr(rng, 5, H)
    h1, cache = cell.forward(Tensor(x), Tensor(h))
    grads, dx, dh = cell.backward(cache, Tensor(g))
    module = to_torch(cell)
    xt, ht = torch_tensor(x, True), torch_tensor(h, True)
    h1t = module(xt, ht)
    (h1t * torch.from_numpy(g)).sum().backward()
    assert_rel_close(h1, h1t, what="h'")
    assert_rel_close(dx, xt.grad, what="dx")
    assert_rel_close(dh, ht.grad, what="dh")
    assert_torch_grads(module, cell, grads, suffix="")


def test_cell_gradients_pass_gradcheck(rng: np.random.Generator) -> None:
    cell = RNNCell(2, 3, rng=rng, dtype=np.float64)
    x, h, w = (_arr(rng, 2, n, dtype=np.float64) for n in (2, 3, 3))
    _, cache = cell.forward(Tensor(x), Tensor(h))
    grads, dx, dh = cell.backward(cache, Tensor(w))
    check_gradients(
        lambda: float(np.sum(cell(Tensor(x), Tensor(h)).numpy() * w)),
        {**cell.parameters(), "x": x, "h": h},
        {**grads.as_dict(), "x": dx, "h": dh},
    )


def test_concat_spec_maps_x_h_to_the_new_state(rng: np.random.Generator) -> None:
    cell = RNNCell(2, 3, rng=rng, dtype=np.float64)
    v, w = _arr(rng, 2, 5, dtype=np.float64), _arr(rng, 2, 3, dtype=np.float64)
    y = cell.call_concat(Tensor(v))
    np.testing.assert_array_equal(y.numpy(), cell(Tensor(v[:, :2]), Tensor(v[:, 2:])).numpy())
    _, cache = cell.forward_concat(Tensor(v))
    grads, dv = cell.backward_concat(cache, Tensor(w))
    check_gradients(
        lambda: float(np.sum(cell.call_concat(Tensor(v)).numpy() * w)),
        {**cell.parameters(), "xh": v},
        {**grads.as_dict(), "xh": dv},
    )


def test_sequence_matches_torch_rnn_with_given_state(rng: np.random.Generator) -> None:
    rnn = RNN(IN, H, rng=rng)
    x, h0, gy, gh = _arr(rng, 6, 2, IN), _arr(rng, 2, H), _arr(rng, 6, 2, H), _arr(rng, 2, H)
    y, cache = rnn.forward(Tensor(x), Tensor(h0))
    grads, dx, dh0 = rnn.backward_through_time(cache, Tensor(gy), Tensor(gh))
    module = to_torch(rnn)
    xt, ht = torch_tensor(x, True), torch_tensor(h0[None], True)
    yt, hnt = module(xt, ht)
    ((yt * torch.from_numpy(gy)).sum() + (hnt[0] * torch.from_numpy(gh)).sum()).backward()
    assert isinstance(grads, RNNGrads)
    assert_rel_close(y, yt, what="y")
    assert_rel_close(cache.final_state[0], hnt[0], what="h_n")
    assert_rel_close(dx, xt.grad, what="dx")
    assert_rel_close(dh0, ht.grad[0], what="dh0")
    assert_torch_grads(module, rnn, grads)


def test_sequence_is_the_cell_applied_step_by_step(rng: np.random.Generator) -> None:
    rnn = RNN(IN, H, rng=0, dtype=np.float64)
    x = _arr(rng, 4, 2, IN, dtype=np.float64)
    y, h_n = rnn.run(Tensor(x))
    h = Tensor(np.zeros((2, H)))
    for t in range(4):
        h = rnn.cell(Tensor(x[t]), h)
        np.testing.assert_allclose(y.numpy()[t], h.numpy(), rtol=1e-12)
    np.testing.assert_allclose(h_n.numpy(), h.numpy(), rtol=1e-12)


def test_sequence_gradients_pass_gradcheck(rng: np.random.Generator) -> None:
    rnn = RNN(2, 3, rng=rng, dtype=np.float64)
    x, h0 = _arr(rng, 4, 2, 2, dtype=np.float64), _arr(rng, 2, 3, dtype=np.float64)
    wy, wh = _arr(rng, 4, 2, 3, dtype=np.float64), _arr(rng, 2, 3, dtype=np.float64)

    def loss() -> float:
        y, h = rnn.run(Tensor(x), Tensor(h0))
        return float(np.sum(y.numpy() * wy) + np.sum(h.numpy() * wh))

    _, cache = rnn.forward(Tensor(x), Tensor(h0))
    grads, dx, dh0 = rnn.backward_through_time(cache, Tensor(wy), Tensor(wh))
    check_gradients(
        loss, {**rnn.parameters(), "x": x, "h0": h0}, {**grads.as_dict(), "x": dx, "h0": dh0}
    )


def test_sequence_without_batch_dims(rng: np.random.Generator) -> None:
    rnn = RNN(IN, H, rng=0, dtype=np.float64)
    x = _arr(rng, 3, 2, IN, dtype=np.float64)
    y = rnn(Tensor(x[:, 1]))
    assert y.shape.dims == (3, H)
    np.testing.assert_allclose(y.numpy(), rnn(Tensor(x)).numpy()[:, 1], rtol=1e-12)


def test_wrong_input_size_is_a_shape_error() -> None:
    with pytest.raises(ShapeError, match=r"RNN\[3, 4\] expects last dim In = 3, got 2 in \[5, 2\]"):
        RNN(IN, H, rng=0)(Tensor(np.zeros((5, 2), np.float32)))


def test_wrong_state_shape_is_a_shape_error() -> None:
    rnn = RNN(IN, H, rng=0)
    with pytest.raises(
        ShapeError, match=r"expects state h of shape \[\*B, H\] = \[2, 4\], got \[2, 3\]"
    ):
        rnn.run(Tensor(np.zeros((5, 2, IN), np.float32)), Tensor(np.zeros((2, 3), np.float32)))


def test_cell_state_of_another_batch_is_a_shape_error() -> None:
    cell = RNNCell(IN, H, rng=0)
    with pytest.raises(
        ShapeError, match=r"RNNCell\[3, 4\] expects state h .* = \[2, 4\], got \[3, 4\]"
    ):
        cell(Tensor(np.zeros((2, IN), np.float32)), Tensor(np.zeros((3, H), np.float32)))


def test_an_empty_sequence_fails_the_seq_len_guard() -> None:
    with pytest.raises(GuardError, match="seq_len > 0 does not hold: seq_len = 0"):
        RNN(IN, H, rng=0)(Tensor(np.zeros((0, IN), np.float32)))
