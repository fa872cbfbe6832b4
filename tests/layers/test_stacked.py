"""RecurrentStack recurrent layers: independent parameters, torch num_layers parity, gradcheck."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _helpers import assert_rel_close, assert_torch_grads, check_gradients, torch_tensor

from shapely_nn import GuardError, ShapeError, Tensor
from shapely_nn.io import to_torch
from shapely_nn.modules import GRU, LSTM, Bidirectional, RecurrentStack, RecurrentStackGrads

IN, H = 3, 4


def _arr(rng: np.random.Generator, *shape: int, dtype: type = np.float32) -> np.ndarray:
    return rng.standard_normal(shape).astype(dtype)


def test_first_layer_maps_in_to_h_and_the_others_h_to_h() -> None:
    stack = RecurrentStack.build("LSTM", IN, H, 3, rng=0)
    assert [(layer.input_size, layer.hidden_size) for layer in stack.layers] == [
        (IN, H),
        (H, H),
        (H, H),
    ]
    assert not np.array_equal(stack.layers[1].forget_weights, stack.layers[2].forget_weights)
    assert "layers.2.output_bias" in stack.parameters()


def test_output_is_the_layers_applied_in_turn(rng: np.random.Generator) -> None:
    stack = RecurrentStack.build("GRU", IN, H, 2, rng=0, dtype=np.float64)
    x = Tensor(_arr(rng, 4, 2, IN, dtype=np.float64))
    np.testing.assert_array_equal(stack(x).numpy(), stack.layers[1](stack.layers[0](x)).numpy())


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_matches_torch_num_layers_2(kind: str, rng: np.random.Generator) -> None:
    stack = RecurrentStack.build(kind, IN, H, 2, rng=rng)
    x, gy = _arr(rng, 5, 2, IN), _arr(rng, 5, 2, H)
    y, cache = stack.forward(Tensor(x))
    grads, dx = stack.backward(cache, Tensor(gy))
    module = to_torch(stack)
    assert module.num_layers == 2
    xt = torch_tensor(x, True)
    yt, _ = module(xt)
    (yt * torch.from_numpy(gy)).sum().backward()
    assert_rel_close(y, yt, what="y")
    assert_rel_close(dx, xt.grad, what="dx")
    assert isinstance(grads, RecurrentStackGrads)
    for k, layer in enumerate(stack.layers):
        assert_torch_grads(module, layer, grads.layers[k], f"_l{k}")  # type: ignore[arg-type]


def test_bidirectional_stack_matches_torch(rng: np.random.Generator) -> None:
    stack = RecurrentStack.build("LSTM", IN, H, 2, rng=rng, bidirectional=True)
    assert stack.layers[1].input_size == 2 * H and stack.output_size == 2 * H
    x, gy = _arr(rng, 4, 2, IN), _arr(rng, 4, 2, 2 * H)
    y, cache = stack.forward(Tensor(x))
    grads, dx = stack.backward(cache, Tensor(gy))
    module = to_torch(stack)
    xt = torch_tensor(x, True)
    yt, (h_n, _) = module(xt)
    (yt * torch.from_numpy(gy)).sum().backward()
    assert_rel_close(y, yt, what="y")
    assert_rel_close(dx, xt.grad, what="dx")
    finals = cache.final_state
    assert_rel_close(finals[1][1][0], h_n[3], what="layer 1 backward h_n")
    for k, layer in enumerate(stack.layers):
        assert isinstance(layer, Bidirectional)
        record = grads.layers[k]
        assert_torch_grads(module, layer.forward_layer, record.forward_layer, f"_l{k}")  # type: ignore[attr-defined]
        assert_torch_grads(module, layer.backward_layer, record.backward_layer, f"_l{k}_reverse")  # type: ignore[attr-defined]


def test_stack_gradients_with_initial_states_pass_gradcheck(rng: np.random.Generator) -> None:
    stack = RecurrentStack.build("GRU", 2, 2, 2, rng=rng, dtype=np.float64)
    x, w = _arr(rng, 3, 2, 2, dtype=np.float64), _arr(rng, 3, 2, 2, dtype=np.float64)
    h0 = [_arr(rng, 2, 2, dtype=np.float64) for _ in range(2)]
    w_fin = [_arr(rng, 2, 2, dtype=np.float64) for _ in range(2)]

    def loss() -> float:
        y, finals = stack.run(Tensor(x), [Tensor(h) for h in h0])
        total = np.sum(y.numpy() * w)
        return float(total + sum(np.sum(f.numpy() * g) for f, g in zip(finals, w_fin, strict=True)))

    _, cache = stack.forward(Tensor(x), [Tensor(h) for h in h0])
    grads, dx, d0 = stack.backward_through_time(cache, Tensor(w), [Tensor(g) for g in w_fin])
    assert grads.as_dict().keys() == stack.parameters().keys()
    check_gradients(
        loss,
        {**stack.parameters(), "x": x, "h0_0": h0[0], "h0_1": h0[1]},
        {**grads.as_dict(), "x": dx, "h0_0": d0[0], "h0_1": d0[1]},
    )


def test_mismatched_layers_are_refused() -> None:
    with pytest.raises(ShapeError, match="layer 1 takes In = 5, but layer 0 outputs 4"):
        RecurrentStack([LSTM(IN, H, rng=0), LSTM(5, H, rng=0)])


def test_a_stack_needs_a_layer() -> None:
    with pytest.raises(GuardError, match="num_layers > 0 does not hold: num_layers = 0"):
        RecurrentStack.build("LSTM", IN, H, 0, rng=0)
    with pytest.raises(ValueError, match="kind must be one of"):
        RecurrentStack.build("CNN", IN, H, 1, rng=0)


def test_wrong_number_of_initial_states_is_a_shape_error() -> None:
    stack = RecurrentStack([GRU(IN, H, rng=0), GRU(H, H, rng=1)])
    with pytest.raises(ShapeError, match="expected 2 initial states"):
        stack.run(Tensor(np.zeros((2, IN), np.float32)), [None])


def test_to_torch_refuses_a_stack_with_no_torch_form() -> None:
    mixed = RecurrentStack(
        [LSTM(IN, H, rng=0), Bidirectional(LSTM(H, H, rng=1), LSTM(H, H, rng=2))]
    )
    with pytest.raises(TypeError, match="mixing uni- and bidirectional layers"):
        to_torch(mixed)
    with pytest.raises(TypeError, match="mixing RNN kinds"):
        to_torch(RecurrentStack([LSTM(IN, H, rng=0), GRU(H, H, rng=1)]))
