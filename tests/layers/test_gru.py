"""GRUCell and the GRU sequence module: PyTorch's equations, gradcheck, parity, shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _helpers import assert_rel_close, assert_torch_grads, check_gradients, torch_tensor

from shapely_nn import GuardError, ShapeError, Tensor
from shapely_nn.io import to_torch
from shapely_nn.layers import GRUCell, GRUGrads
from shapely_nn.modules import GRU

IN, H = 3, 4


def _arr(rng: np.random.Generator, *shape: int, dtype: type = np.float32) -> np.ndarray:
    return rng.standard_normal(shape).astype(dtype)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


def test_parameters_have_the_concatenated_layout() -> None:
    cell = GRUCell(IN, H, rng=0)
    for gate in ("reset", "update", "candidate"):
        assert getattr(cell, f"{gate}_weights").shape == (H, IN + H)
    for bias in ("reset_bias", "update_bias", "candidate_input_bias", "candidate_hidden_bias"):
        assert getattr(cell, bias).shape == (H,)


def test_reset_gate_multiplies_the_hidden_part_and_its_bias(rng: np.random.Generator) -> None:
    cell = GRUCell(IN, H, rng=rng, dtype=np.float64)
    x, h = _arr(rng, 2, IN, dtype=np.float64), _arr(rng, 2, H, dtype=np.float64)
    xh = np.concatenate([x, h], -1)
    r = _sigmoid(xh @ cell.reset_weights.T + cell.reset_bias)
    z = _sigmoid(xh @ cell.update_weights.T + cell.update_bias)
    w_n = cell.candidate_weights
    n = np.tanh(
        x @ w_n[:, :IN].T
        + cell.candidate_input_bias
        + r * (h @ w_n[:, IN:].T + cell.candidate_hidden_bias)
    )
    np.testing.assert_allclose(cell(Tensor(x), Tensor(h)).numpy(), (1 - z) * n + z * h, rtol=1e-12)


def test_cell_matches_torch_grucell(rng: np.random.Generator) -> None:
    cell = GRUCell(IN, H, rng=rng)
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
    cell = GRUCell(2, 3, rng=rng, dtype=np.float64)
    x, h, w = (_arr(rng, 2, n, dtype=np.float64) for n in (2, 3, 3))
    _, cache = cell.forward(Tensor(x), Tensor(h))
    grads, dx, dh = cell.backward(cache, Tensor(w))
    check_gradients(
        lambda: float(np.sum(cell(Tensor(x), Tensor(h)).numpy() * w)),
        {**cell.parameters(), "x": x, "h": h},
        {**grads.as_dict(), "x": dx, "h": dh},
    )


def test_concat_spec_maps_x_h_to_the_new_state(rng: np.random.Generator) -> None:
    cell = GRUCell(2, 3, rng=rng, dtype=np.float64)
    v, w = _arr(rng, 2, 5, dtype=np.float64), _arr(rng, 2, 3, dtype=np.float64)
    np.testing.assert_array_equal(
        cell.call_concat(Tensor(v)).numpy(), cell(Tensor(v[:, :2]), Tensor(v[:, 2:])).numpy()
    )
    _, cache = cell.forward_concat(Tensor(v))
    grads, dv = cell.backward_concat(cache, Tensor(w))
    check_gradients(
        lambda: float(np.sum(cell.call_concat(Tensor(v)).numpy() * w)),
        {**cell.parameters(), "xh": v},
        {**grads.as_dict(), "xh": dv},
    )


def test_concat_spec_rejects_a_wrong_width() -> None:
    with pytest.raises(ShapeError, match=r"GRUCell\[3, 4\] expects last dim In \+ H = 7, got 8"):
        GRUCell(IN, H, rng=0).call_concat(Tensor(np.zeros(8, np.float32)))


def test_sequence_matches_torch_gru_with_given_state(rng: np.random.Generator) -> None:
    gru = GRU(IN, H, rng=rng)
    x, h0, gy, gh = _arr(rng, 6, 2, IN), _arr(rng, 2, H), _arr(rng, 6, 2, H), _arr(rng, 2, H)
    y, cache = gru.forward(Tensor(x), Tensor(h0))
    grads, dx, dh0 = gru.backward_through_time(cache, Tensor(gy), Tensor(gh))
    module = to_torch(gru)
    xt, ht = torch_tensor(x, True), torch_tensor(h0[None], True)
    yt, hnt = module(xt, ht)
    ((yt * torch.from_numpy(gy)).sum() + (hnt[0] * torch.from_numpy(gh)).sum()).backward()
    assert isinstance(grads, GRUGrads)
    assert grads.as_dict().keys() == gru.parameters().keys()
    assert_rel_close(y, yt, what="y")
    assert_rel_close(cache.final_state[0], hnt[0], what="h_n")
    assert_rel_close(dx, xt.grad, what="dx")
    assert_rel_close(dh0, ht.grad[0], what="dh0")
    assert_torch_grads(module, gru, grads)


def test_sequence_is_the_cell_applied_step_by_step(rng: np.random.Generator) -> None:
    gru = GRU(IN, H, rng=0, dtype=np.float64)
    x = _arr(rng, 4, 2, IN, dtype=np.float64)
    y, h_n = gru.run(Tensor(x))
    h = Tensor(np.zeros((2, H)))
    for t in range(4):
        h = gru.cell(Tensor(x[t]), h)
        np.testing.assert_allclose(y.numpy()[t], h.numpy(), rtol=1e-12)
    np.testing.assert_allclose(h_n.numpy(), h.numpy(), rtol=1e-12)


def test_sequence_gradients_pass_gradcheck(rng: np.random.Generator) -> None:
    gru = GRU(2, 3, rng=rng, dtype=np.float64)
    x, h0 = _arr(rng, 4, 2, 2, dtype=np.float64), _arr(rng, 2, 3, dtype=np.float64)
    wy, wh = _arr(rng, 4, 2, 3, dtype=np.float64), _arr(rng, 2, 3, dtype=np.float64)

    def loss() -> float:
        y, h = gru.run(Tensor(x), Tensor(h0))
        return float(np.sum(y.numpy() * wy) + np.sum(h.numpy() * wh))

    _, cache = gru.forward(Tensor(x), Tensor(h0))
    grads, dx, dh0 = gru.backward_through_time(cache, Tensor(wy), Tensor(wh))
    check_gradients(
        loss, {**gru.parameters(), "x": x, "h0": h0}, {**grads.as_dict(), "x": dx, "h0": dh0}
    )


def test_sequence_takes_several_batch_dims(rng: np.random.Generator) -> None:
    gru = GRU(IN, H, rng=0, dtype=np.float64)
    x = _arr(rng, 3, 2, 2, IN, dtype=np.float64)
    y = gru(Tensor(x))
    assert y.shape.dims == (3, 2, 2, H)
    np.testing.assert_allclose(gru(Tensor(x[:, 1, 0])).numpy(), y.numpy()[:, 1, 0], rtol=1e-12)


def test_wrong_input_size_is_a_shape_error() -> None:
    with pytest.raises(
        ShapeError, match=r"GRU\[3, 4\] expects last dim In = 3, got 4 in \[5, 1, 4\]"
    ):
        GRU(IN, H, rng=0)(Tensor(np.zeros((5, 1, 4), np.float32)))


def test_an_empty_sequence_fails_the_seq_len_guard() -> None:
    with pytest.raises(GuardError, match="seq_len > 0 does not hold: seq_len = 0"):
        GRU(IN, H, rng=0)(Tensor(np.zeros((0, 1, IN), np.float32)))
