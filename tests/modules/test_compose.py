"""Combinators: forward equals the composition by hand; backward passes gradcheck."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import shapely_nn as sn
from shapely_nn import ShapeError
from shapely_nn.layers import Linear, Tanh
from shapely_nn.modules import Chain, Concat, Fan, Parallel, Stack, fan, residual, stack

F64 = np.float64


def lin(i: int, o: int, seed: int) -> Linear[Any, Any]:
    return Linear(i, o, rng=seed, dtype=F64)


def test_rshift_builds_a_flat_chain(rng: np.random.Generator) -> None:
    a, b, c = lin(3, 4, 0), lin(4, 5, 1), lin(5, 2, 2)
    chain = a >> b >> c
    assert isinstance(chain, Chain) and len(chain.layers) == 3
    x = sn.tensor(rng.standard_normal((6, 3)))
    np.testing.assert_allclose(chain(x).numpy(), c(b(a(x))).numpy())
    assert sorted(chain.parameters()) == [
        f"layers.{i}.{p}" for i in range(3) for p in ("bias", "weight")
    ]


def test_chain_refuses_mismatched_sizes_when_built() -> None:
    with pytest.raises(ShapeError) as err:
        _ = lin(3, 4, 0) >> lin(5, 2, 1)
    assert str(err.value) == (
        "Chain: part 0 (Linear[3, 4]) outputs 4 features, part 1 (Linear[5, 2]) expects 5"
    )


def test_chain_gradients(rng: np.random.Generator, check_grads: Any) -> None:
    x = rng.standard_normal((4, 3))
    check_grads(lin(3, 4, 0) >> Tanh() >> lin(4, 2, 1), sn.tensor(x), inputs=[])
    tx = sn.tensor(x)
    check_grads(lin(3, 4, 0) >> Tanh() >> lin(4, 2, 1), tx, inputs=[tx.numpy()])


def test_parallel_pairs_inputs_and_outputs(rng: np.random.Generator, check_grads: Any) -> None:
    a, b = lin(3, 4, 0), lin(5, 2, 1)
    pair = a @ b
    assert isinstance(pair, Parallel)
    x1, x2 = sn.tensor(rng.standard_normal((2, 3))), sn.tensor(rng.standard_normal((2, 5)))
    y1, y2 = pair((x1, x2))
    np.testing.assert_allclose(y1.numpy(), a(x1).numpy())
    np.testing.assert_allclose(y2.numpy(), b(x2).numpy())
    check_grads(pair, (x1, x2), inputs=[x1.numpy(), x2.numpy()])
    with pytest.raises(
        ShapeError, match="Parallel: input must be a tuple of 2 \\(one per branch\\)"
    ):
        pair(x1)


def test_parallel_then_concat_then_cross(rng: np.random.Generator, check_grads: Any) -> None:
    model = (lin(3, 4, 0) @ lin(5, 4, 1)) >> Concat() >> lin(8, 2, 2)
    x1, x2 = sn.tensor(rng.standard_normal((2, 3))), sn.tensor(rng.standard_normal((2, 5)))
    assert model((x1, x2)).shape == sn.Shape.of(2, 2)
    check_grads(model, (x1, x2), inputs=[x1.numpy(), x2.numpy()])


def test_fan_concatenates_independent_heads(rng: np.random.Generator, check_grads: Any) -> None:
    heads = fan(lambda g: Linear(6, 2, rng=g, dtype=F64), 4, rng=0)
    assert isinstance(heads, Fan) and heads.output_size == 8
    x = sn.tensor(rng.standard_normal((3, 6)))
    y = heads(x)
    assert y.shape == sn.Shape.of(3, 8)
    np.testing.assert_allclose(y.numpy()[:, 2:4], heads.heads[1](x).numpy())
    w0, w1 = heads.heads[0].weight, heads.heads[1].weight
    assert not np.allclose(w0, w1)  # independently initialised
    check_grads(heads, x, inputs=[x.numpy()])


def test_fan_and_stack_are_seeded() -> None:
    a = fan(lambda g: Linear(6, 2, rng=g), 3, rng=7)
    b = fan(lambda g: Linear(6, 2, rng=g), 3, rng=7)
    for name, value in a.parameters().items():
        np.testing.assert_array_equal(value, b.parameters()[name])


def test_stack_has_independent_blocks(rng: np.random.Generator, check_grads: Any) -> None:
    blocks = stack(lambda g: Linear(4, 4, rng=g, dtype=F64) >> Tanh(), 3, rng=1)
    assert isinstance(blocks, Stack) and len(blocks.layers) == 3
    assert not np.allclose(blocks.layers[0].layers[0].weight, blocks.layers[1].layers[0].weight)
    x = sn.tensor(rng.standard_normal((2, 4)))
    check_grads(blocks, x, inputs=[x.numpy()])


def test_residual_adds_the_input(rng: np.random.Generator, check_grads: Any) -> None:
    block = residual(lin(4, 4, 0))
    x = sn.tensor(rng.standard_normal((2, 4)))
    np.testing.assert_allclose(block(x).numpy(), x.numpy() + block.block(x).numpy())
    check_grads(block, x, inputs=[x.numpy()])
    with pytest.raises(
        ShapeError, match="residual: the block \\(Linear\\[4, 3\\]\\) maps \\[2, 4\\] to \\[2, 3\\]"
    ):
        residual(lin(4, 3, 1))(x)


def test_with_parameters_round_trips_through_combinators(rng: np.random.Generator) -> None:
    model = fan(lambda g: Linear(3, 2, rng=g, dtype=F64), 2, rng=0) >> lin(4, 1, 5)
    zeros = {k: np.zeros_like(v) for k, v in model.parameters().items()}
    zeroed = model.with_parameters(zeros)
    x = sn.tensor(rng.standard_normal((2, 3)))
    np.testing.assert_array_equal(zeroed(x).numpy(), np.zeros((2, 1)))
    assert not np.allclose(model(x).numpy(), 0)
