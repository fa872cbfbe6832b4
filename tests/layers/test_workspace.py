"""Work arrays carved from one allocation, and the in-place kernels that write into them."""

from __future__ import annotations

import numpy as np
import pytest

from shapely_nn import Tensor
from shapely_nn.layers import MultiHeadAttention, TransformerEncoderLayer
from shapely_nn.layers._softmax import softmax_vjp, softmax_vjp_
from shapely_nn.layers._workspace import carve, carve_named


def test_carved_arrays_have_their_shapes_and_do_not_overlap() -> None:
    a, b, c = carve(np.float32, (3, 5), (7,), (2, 2, 2))
    assert (a.shape, b.shape, c.shape) == ((3, 5), (7,), (2, 2, 2))
    a[...], b[...], c[...] = 1, 2, 3
    assert (a == 1).all() and (b == 2).all() and (c == 3).all()
    assert not np.shares_memory(a, b) and not np.shares_memory(b, c)


def test_carved_arrays_start_on_64_byte_boundaries() -> None:
    work = carve_named(np.float64, {"a": (3,), "b": (5, 2), "c": (1,)})
    base = work["a"].__array_interface__["data"][0]
    for array in work.values():
        assert (array.__array_interface__["data"][0] - base) % 64 == 0


def test_masks_are_bool_arrays_in_the_same_block() -> None:
    work = carve_named(np.float32, {"x": (4, 3)}, {"keep": (4, 3)})
    assert work["keep"].dtype == np.bool_ and work["keep"].shape == (4, 3)
    work["x"][...] = 1.5
    work["keep"][...] = True
    assert (work["x"] == 1.5).all()


def test_softmax_vjp_in_place_matches_the_plain_one(rng: np.random.Generator) -> None:
    y = rng.random((2, 3, 5))
    y /= y.sum(-1, keepdims=True)
    g = rng.standard_normal((2, 3, 5))
    expected = softmax_vjp(y, g)
    contiguous = g.copy()
    assert softmax_vjp_(y, contiguous) is contiguous
    np.testing.assert_allclose(contiguous, expected, rtol=1e-12)
    strided = np.asfortranarray(g)
    np.testing.assert_allclose(softmax_vjp_(y, strided), expected, rtol=1e-12)


@pytest.mark.parametrize("layer_kind", ["mha", "encoder"])
def test_outputs_and_grads_of_two_calls_are_independent(
    rng: np.random.Generator, layer_kind: str
) -> None:
    layer = (
        MultiHeadAttention(8, 2, rng=rng)
        if layer_kind == "mha"
        else TransformerEncoderLayer(8, 2, 16, rng=rng)
    )
    x1, x2 = (Tensor(rng.standard_normal((2, 3, 8)).astype(np.float32)) for _ in range(2))
    g = Tensor(rng.standard_normal((2, 3, 8)).astype(np.float32))
    y1, cache1 = layer.forward(x1)
    first = y1.numpy().copy()
    grads1 = layer.backward(cache1, g)[0].as_dict()
    saved = {name: array.copy() for name, array in grads1.items()}
    _, cache2 = layer.forward(x2)
    layer.backward(cache2, g)
    np.testing.assert_array_equal(y1.numpy(), first)
    for name, array in grads1.items():
        np.testing.assert_array_equal(array, saved[name])
