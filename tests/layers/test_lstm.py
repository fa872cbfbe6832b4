"""LSTMCell and the LSTM sequence module: gradcheck, PyTorch parity, shapes, guards."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from _helpers import assert_rel_close, assert_torch_grads, check_gradients, torch_tensor

from shapely_nn import GuardError, ShapeError, Tensor
from shapely_nn.io import to_torch
from shapely_nn.layers import LSTMCell, LSTMGrads
from shapely_nn.modules import LSTM

IN, H = 3, 4


def _seq(rng: np.random.Generator, *shape: int, dtype: type = np.float32) -> np.ndarray:
    return rng.standard_normal(shape).astype(dtype)


# ---- layout and init ------------------------------------------------------------------------


def test_gate_parameters_have_the_seed_layout() -> None:
    cell = LSTMCell(IN, H, rng=0)
    for gate in ("forget", "input", "candidate", "output"):
        assert getattr(cell, f"{gate}_weights").shape == (H, IN + H)
        assert getattr(cell, f"{gate}_bias").shape == (H,)
    assert cell.dtype == np.float32
    assert (cell.input_size, cell.hidden_size) == (IN, H)


def test_init_is_seeded_and_uses_pytorch_scale() -> None:
    a, b = LSTMCell(IN, H, rng=7), LSTMCell(IN, H, rng=7)
    for name, value in a.parameters().items():
        np.testing.assert_array_equal(value, b.parameters()[name])
        assert np.abs(value).max() <= 1 / np.sqrt(H)
    assert not np.array_equal(a.forget_weights, LSTMCell(IN, H, rng=8).forget_weights)


def test_grad_record_names_mirror_the_parameters(rng: np.random.Generator) -> None:
    lstm = LSTM(IN, H, rng=0)
    y, cache = lstm.forward(Tensor(_seq(rng, 2, 1, IN)))
    grads, _ = lstm.backward(cache, Tensor(np.ones_like(y.numpy())))
    assert isinstance(grads, LSTMGrads)
    assert grads.as_dict().keys() == lstm.parameters().keys()
    for name, g in grads.as_dict().items():
        assert g.shape == lstm.parameters()[name].shape and g.dtype == np.float32


def test_float64_parameters_run_in_float64(rng: np.random.Generator) -> None:
    lstm = LSTM(IN, H, rng=0, dtype=np.float64)
    assert lstm(Tensor(_seq(rng, 2, IN, dtype=np.float64))).dtype == np.float64


# ---- cell: PyTorch parity ---------------------------------------------------------------------


def test_cell_matches_torch_lstmcell_forward_and_backward(rng: np.random.Generator) -> None:
    cell = LSTMCell(IN, H, rng=rng)
    x, h, c = _seq(rng, 5, IN), _seq(rng, 5, H), _seq(rng, 5, H)
    gh, gc = _seq(rng, 5, H), _seq(rng, 5, H)
    (h1, c1), cache = cell.forward(Tensor(x), (Tensor(h), Tensor(c)))
    grads, dx, (dh, dc) = cell.backward(cache, (Tensor(gh), Tensor(gc)))

    module = to_torch(cell)
    xt, ht, ct = torch_tensor(x, True), torch_tensor(h, True), torch_tensor(c, True)
    h1t, c1t = module(xt, (ht, ct))
    ((h1t * torch.from_numpy(gh)).sum() + (c1t * torch.from_numpy(gc)).sum()).backward()

    assert_rel_close(h1, h1t, what="h'")
    assert_rel_close(c1, c1t, what="c'")
    assert_rel_close(dx, xt.grad, what="dx")
    assert_rel_close(dh, ht.grad, what="dh")
    assert_rel_close(dc, ct.grad, what="dc")
    assert_torch_grads(module, cell, grads, suffix="")


def test_cell_takes_any_batch_dims(rng: np.random.Generator) -> None:
    cell = LSTMCell(IN, H, rng=0)
    x = _seq(rng, 2, 3, IN)
    h, c = cell(Tensor(x))
    assert h.shape.dims == (2, 3, H) and c.shape.dims == (2, 3, H)
    h_one, c_one = cell(Tensor(x[1, 2]))  # no batch dims at all
    assert h_one.shape.dims == (H,)
    np.testing.assert_allclose(h_one.numpy(), h.numpy()[1, 2], rtol=1e-6)
    np.testing.assert_allclose(c_one.numpy(), c.numpy()[1, 2], rtol=1e-6)


# ---- cell: gradcheck --------------------------------------------------------------------------


def test_cell_gradients_pass_gradcheck(rng: np.random.Generator) -> None:
    cell = LSTMCell(2, 3, rng=rng, dtype=np.float64)
    x = _seq(rng, 2, 2, dtype=np.float64)
    h = _seq(rng, 2, 3, dtype=np.float64)
    c = _seq(rng, 2, 3, dtype=np.float64)
    wh, wc = _seq(rng, 2, 3, dtype=np.float64), _seq(rng, 2, 3, dtype=np.float64)

    def loss() -> float:
        h1, c1 = cell(Tensor(x), (Tensor(h), Tensor(c)))
        return float(np.sum(h1.numpy() * wh) + np.sum(c1.numpy() * wc))

    _, cache = cell.forward(Tensor(x), (Tensor(h), Tensor(c)))
    grads, dx, (dh, dc) = cell.backward(cache, (Tensor(wh), Tensor(wc)))
    arrays = {**cell.parameters(), "x": x, "h": h, "c": c}
    check_gradients(loss, arrays, {**grads.as_dict(), "x": dx, "h": dh, "c": dc})


# ---- cell: the seed's module spec on [x; h; c] ----------------------------------------------


def test_concat_spec_is_the_cell_on_the_split_vector(rng: np.random.Generator) -> None:
    cell = LSTMCell(IN, H, rng=0)
    x, h, c = _seq(rng, 2, IN), _seq(rng, 2, H), _seq(rng, 2, H)
    y = cell.call_concat(Tensor(np.concatenate([x, h, c], axis=-1)))
    h1, c1 = cell(Tensor(x), (Tensor(h), Tensor(c)))
    assert y.shape.dims == (2, 2 * H)
    np.testing.assert_array_equal(y.numpy(), np.concatenate([h1.numpy(), c1.numpy()], -1))


def test_concat_spec_gradients_pass_gradcheck(rng: np.random.Generator) -> None:
    cell = LSTMCell(2, 3, rng=rng, dtype=np.float64)
    v = _seq(rng, 2, 2 + 3 + 3, dtype=np.float64)
    w = _seq(rng, 2, 6, dtype=np.float64)
    _, cache = cell.forward_concat(Tensor(v))
    grads, dv = cell.backward_concat(cache, Tensor(w))
    check_gradients(
        lambda: float(np.sum(cell.call_concat(Tensor(v)).numpy() * w)),
        {**cell.parameters(), "xhc": v},
        {**grads.as_dict(), "xhc": dv},
    )


def test_concat_spec_rejects_a_wrong_width() -> None:
    cell = LSTMCell(IN, H, rng=0)
    with pytest.raises(
        ShapeError, match=r"LSTMCell\[3, 4\] expects last dim In \+ H \+ H = 11, got 10"
    ):
        cell.call_concat(Tensor(np.zeros((2, 10), np.float32)))


# ---- sequence module -------------------------------------------------------------------------


def test_sequence_matches_torch_lstm_with_given_state(rng: np.random.Generator) -> None:
    lstm = LSTM(IN, H, rng=rng)
    x, h0, c0 = _seq(rng, 6, 2, IN), _seq(rng, 2, H), _seq(rng, 2, H)
    gy, gh, gc = _seq(rng, 6, 2, H), _seq(rng, 2, H), _seq(rng, 2, H)
    y, cache = lstm.forward(Tensor(x), (Tensor(h0), Tensor(c0)))
    grads, dx, (dh0, dc0) = lstm.backward_through_time(cache, Tensor(gy), (Tensor(gh), Tensor(gc)))

    module = to_torch(lstm)
    xt, ht, ct = torch_tensor(x, True), torch_tensor(h0[None], True), torch_tensor(c0[None], True)
    yt, (hnt, cnt) = module(xt, (ht, ct))
    loss = (yt * torch.from_numpy(gy)).sum()
    loss = loss + (hnt[0] * torch.from_numpy(gh)).sum() + (cnt[0] * torch.from_numpy(gc)).sum()
    loss.backward()

    h_n, c_n = cache.final_state
    assert_rel_close(y, yt, what="y")
    assert_rel_close(h_n, hnt[0], what="h_n")
    assert_rel_close(c_n, cnt[0], what="c_n")
    assert_rel_close(dx, xt.grad, what="dx")
    assert_rel_close(dh0, ht.grad[0], what="dh0")
    assert_rel_close(dc0, ct.grad[0], what="dc0")
    assert_torch_grads(module, lstm, grads)


def test_sequence_defaults_to_the_zero_state(rng: np.random.Generator) -> None:
    lstm = LSTM(IN, H, rng=0)
    x = Tensor(_seq(rng, 4, 2, IN))
    zeros = Tensor(np.zeros((2, H), np.float32))
    np.testing.assert_array_equal(lstm(x).numpy(), lstm.run(x, (zeros, zeros))[0].numpy())


def test_sequence_is_the_cell_applied_step_by_step(rng: np.random.Generator) -> None:
    lstm = LSTM(IN, H, rng=0, dtype=np.float64)
    x = _seq(rng, 5, 3, IN, dtype=np.float64)
    y, (h_n, c_n) = lstm.run(Tensor(x))
    cell = lstm.cell
    state = (Tensor(np.zeros((3, H))), Tensor(np.zeros((3, H))))
    for t in range(5):
        state = cell(Tensor(x[t]), state)
        np.testing.assert_allclose(y.numpy()[t], state[0].numpy(), rtol=1e-12)
    np.testing.assert_allclose(h_n.numpy(), state[0].numpy(), rtol=1e-12)
    np.testing.assert_allclose(c_n.numpy(), state[1].numpy(), rtol=1e-12)
    assert LSTM.from_cell(cell).forget_weights is lstm.forget_weights


def test_sequence_takes_zero_or_several_batch_dims(rng: np.random.Generator) -> None:
    lstm = LSTM(IN, H, rng=0, dtype=np.float64)
    x = _seq(rng, 4, 2, 3, IN, dtype=np.float64)
    y = lstm(Tensor(x))
    assert y.shape.dims == (4, 2, 3, H)
    np.testing.assert_allclose(lstm(Tensor(x[:, 1, 2])).numpy(), y.numpy()[:, 1, 2], rtol=1e-12)


def test_sequence_gradients_pass_gradcheck(rng: np.random.Generator) -> None:
    lstm = LSTM(2, 3, rng=rng, dtype=np.float64)
    x = _seq(rng, 4, 2, 2, dtype=np.float64)
    h0, c0 = _seq(rng, 2, 3, dtype=np.float64), _seq(rng, 2, 3, dtype=np.float64)
    wy = _seq(rng, 4, 2, 3, dtype=np.float64)
    wh, wc = _seq(rng, 2, 3, dtype=np.float64), _seq(rng, 2, 3, dtype=np.float64)

    def loss() -> float:
        y, (h, c) = lstm.run(Tensor(x), (Tensor(h0), Tensor(c0)))
        return float(np.sum(y.numpy() * wy) + np.sum(h.numpy() * wh) + np.sum(c.numpy() * wc))

    _, cache = lstm.forward(Tensor(x), (Tensor(h0), Tensor(c0)))
    grads, dx, (dh0, dc0) = lstm.backward_through_time(cache, Tensor(wy), (Tensor(wh), Tensor(wc)))
    arrays = {**lstm.parameters(), "x": x, "h0": h0, "c0": c0}
    check_gradients(loss, arrays, {**grads.as_dict(), "x": dx, "h0": dh0, "c0": dc0})


def test_backward_is_bptt_from_the_outputs_only(rng: np.random.Generator) -> None:
    lstm = LSTM(IN, H, rng=0, dtype=np.float64)
    _, cache = lstm.forward(Tensor(_seq(rng, 3, 2, IN, dtype=np.float64)))
    g = Tensor(_seq(rng, 3, 2, H, dtype=np.float64))
    grads, dx = lstm.backward(cache, g)
    full_grads, full_dx, _ = lstm.backward_through_time(cache, g, None)
    np.testing.assert_array_equal(dx.numpy(), full_dx.numpy())
    for name, value in grads.as_dict().items():
        np.testing.assert_array_equal(value, full_grads.as_dict()[name])


# ---- shapes and guards -------------------------------------------------------------------------


def test_wrong_input_size_names_the_layer_dim_expected_and_got() -> None:
    lstm = LSTM(IN, H, rng=0)
    with pytest.raises(
        ShapeError, match=r"LSTM\[3, 4\] expects last dim In = 3, got 5 in \[6, 2, 5\]"
    ):
        lstm(Tensor(np.zeros((6, 2, 5), np.float32)))


def test_cell_wrong_input_size_is_a_shape_error() -> None:
    cell = LSTMCell(IN, H, rng=0)
    with pytest.raises(
        ShapeError, match=r"LSTMCell\[3, 4\] expects last dim In = 3, got 2 in \[2\]"
    ):
        cell(Tensor(np.zeros(2, np.float32)))


def test_a_sequence_needs_a_time_axis() -> None:
    lstm = LSTM(IN, H, rng=0)
    with pytest.raises(
        ShapeError, match=r"time-major sequence \[T, \*B, 3\] \(rank >= 2\), got \[3\]"
    ):
        lstm(Tensor(np.zeros(3, np.float32)))


def test_a_wrong_state_shape_names_the_state() -> None:
    lstm = LSTM(IN, H, rng=0)
    x = Tensor(np.zeros((2, 5, IN), np.float32))
    h = Tensor(np.zeros((5, H), np.float32))
    bad = Tensor(np.zeros((4, H), np.float32))
    with pytest.raises(
        ShapeError, match=r"expects state c of shape \[\*B, H\] = \[5, 4\], got \[4, 4\]"
    ):
        lstm.run(x, (h, bad))


def test_an_empty_sequence_fails_the_seq_len_guard() -> None:
    lstm = LSTM(IN, H, rng=0)
    with pytest.raises(GuardError, match="seq_len > 0 does not hold: seq_len = 0"):
        lstm(Tensor(np.zeros((0, 2, IN), np.float32)))


def test_a_wrong_grad_shape_is_a_shape_error(rng: np.random.Generator) -> None:
    lstm = LSTM(IN, H, rng=0)
    _, cache = lstm.forward(Tensor(_seq(rng, 3, 2, IN)))
    with pytest.raises(ShapeError, match=r"LSTM\[3, 4\]\.backward: grad_y has shape \[3, 2, 5\]"):
        lstm.backward(cache, Tensor(np.zeros((3, 2, 5), np.float32)))


def test_mixed_dtypes_are_refused() -> None:
    lstm = LSTM(IN, H, rng=0)
    with pytest.raises(TypeError, match="input dtype float64 differs from weights float32"):
        lstm(Tensor(np.zeros((2, IN))))


def test_nonpositive_sizes_are_refused() -> None:
    with pytest.raises(GuardError, match="^input_size > 0 does not hold: input_size = 0$"):
        LSTM(0, H, rng=0)


def test_with_parameters_replaces_a_gate(rng: np.random.Generator) -> None:
    lstm = LSTM(IN, H, rng=0)
    shut = np.full_like(lstm.output_bias, -100.0)  # output gate closed: h = 0
    closed = lstm.with_parameters({"output_bias": shut})
    assert np.abs(closed(Tensor(_seq(rng, 2, IN))).numpy()).max() < 1e-6
    assert dataclasses.is_dataclass(closed) and closed.forget_weights is lstm.forget_weights
