"""Tensor construction and each op's shape rule and error text."""

from __future__ import annotations

import numpy as np
import pytest

import shapely_nn as sn
from shapely_nn import DTypeError, IndexBoundsError, Shape, ShapeError


def test_tensor_dtypes_follow_pytorch_defaults() -> None:
    assert sn.tensor([1.0, 2.0]).dtype == np.float32
    assert sn.tensor(np.zeros(2)).dtype == np.float64
    assert sn.tensor([1, 2]).dtype == np.int64
    assert sn.tensor([1.0], dtype=np.float64).dtype == np.float64


def test_tensor_copies_its_data() -> None:
    data = np.zeros(3, dtype=np.float32)
    t = sn.tensor(data)
    data[0] = 5
    assert t.numpy()[0] == 0


def test_unsupported_dtype_rejected() -> None:
    with pytest.raises(DTypeError, match="cannot make a tensor from data of dtype complex128"):
        sn.tensor([1j])


def test_shape_is_a_shape() -> None:
    t = sn.zeros((2, 3))
    assert t.shape == Shape.of(2, 3)
    assert t.rank == 2
    assert sn.tensor(3.0).shape == Shape.scalar


def test_elementwise_same_shape(rng: np.random.Generator) -> None:
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    ta, tb = sn.tensor(a), sn.tensor(b)
    np.testing.assert_allclose((ta + tb).numpy(), (a + b).astype(np.float32), rtol=1e-6)
    np.testing.assert_allclose((ta * 2.0).numpy(), (a * 2).astype(np.float32), rtol=1e-6)
    np.testing.assert_allclose((1.0 - ta).numpy(), (1 - a).astype(np.float32), rtol=1e-6)


def test_elementwise_never_broadcasts_silently() -> None:
    with pytest.raises(ShapeError) as err:
        _ = sn.zeros((2, 3)) + sn.zeros((3,))
    assert str(err.value) == (
        "add: shapes differ in rank: left [2, 3] has rank 2, right [3] has rank 1 "
        "(broadcasting is explicit: use broadcast_to or broadcast=True)"
    )
    with pytest.raises(ShapeError, match="add: shapes differ at axis 0: left \\[2, 3\\] has 2"):
        _ = sn.zeros((2, 3)) + sn.zeros((1, 3))


def test_numpy_array_on_the_left_is_refused() -> None:
    with pytest.raises(TypeError):
        _ = np.zeros((2, 3)) + sn.zeros((2, 3))  # type: ignore[operator]


def test_explicit_broadcast() -> None:
    out = sn.add(sn.ones((2, 3)), sn.tensor([1.0, 2.0, 3.0]), broadcast=True)
    np.testing.assert_array_equal(out.numpy(), [[2, 3, 4], [2, 3, 4]])
    with pytest.raises(ShapeError, match="add: cannot broadcast at axis -1"):
        sn.add(sn.ones((2, 3)), sn.ones((2,)), broadcast=True)
    assert sn.broadcast_to(sn.ones((3,)), (4, 3)).shape == Shape.of(4, 3)
    with pytest.raises(ShapeError, match="broadcast_to: axis -1 of \\[3\\] is 3, target"):
        sn.broadcast_to(sn.ones((3,)), (4, 2))


def test_mixed_float_dtypes_refused() -> None:
    with pytest.raises(DTypeError, match="add: dtypes differ: left is float32, right is float64"):
        _ = sn.zeros((2,)) + sn.zeros((2,), dtype=np.float64)


def test_matmul_error_names_both_dims() -> None:
    with pytest.raises(ShapeError) as err:
        _ = sn.zeros((2, 3)) @ sn.zeros((4, 5))
    assert str(err.value) == (
        "matmul: inner dims differ: left [2, 3] has 3 at axis -1, right [4, 5] has 4 at axis -2"
    )


def test_matmul_shared_weight_and_batched(rng: np.random.Generator) -> None:
    x, w = rng.standard_normal((4, 2, 3)), rng.standard_normal((3, 5))
    out = sn.tensor(x) @ sn.tensor(w)
    assert out.shape == Shape.of(4, 2, 5)
    np.testing.assert_allclose(out.numpy(), (x @ w).astype(np.float32), rtol=1e-5)
    with pytest.raises(
        ShapeError, match="matmul: batch dims differ: left \\[4, 2, 3\\] has \\[4\\]"
    ):
        sn.matmul(sn.zeros((4, 2, 3)), sn.zeros((1, 3, 5)))


def test_concat_error_names_the_axis() -> None:
    assert sn.concat([sn.zeros((2, 3)), sn.zeros((2, 4))]).shape == Shape.of(2, 7)
    with pytest.raises(ShapeError) as err:
        sn.concat([sn.zeros((2, 3)), sn.zeros((5, 4))], axis=-1)
    assert str(err.value) == (
        "concat: dims off the concat axis -1 must agree: tensor 0 [2, 3] has 2 at axis 0, "
        "tensor 1 [5, 4] has 5"
    )


def test_split_sizes_must_add_up() -> None:
    a, b = sn.split(sn.zeros((2, 7)), [3, 4])
    assert (a.shape, b.shape) == (Shape.of(2, 3), Shape.of(2, 4))
    with pytest.raises(ShapeError, match="split: sizes \\[3, 3\\] add up to 6, but axis -1 of"):
        sn.split(sn.zeros((2, 7)), [3, 3])


def test_transpose_permute_reshape() -> None:
    x = sn.zeros((2, 3, 4))
    assert x.T.shape == Shape.of(2, 4, 3)
    assert sn.permute(x, [2, 0, 1]).shape == Shape.of(4, 2, 3)
    assert x.reshape(6, -1).shape == Shape.of(6, 4)
    with pytest.raises(ShapeError, match="permute: axes \\[0, 0, 1\\] are not a permutation"):
        sn.permute(x, [0, 0, 1])
    with pytest.raises(ShapeError) as err:
        x.reshape(5, 5)
    assert str(err.value) == (
        "reshape: cannot reshape [2, 3, 4] (24 elements) into [5, 5] (25 elements)"
    )


def test_indexing_is_bounds_checked() -> None:
    x = sn.tensor(np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(x[1].numpy(), [2.0, 3.0])
    assert x[1:].shape == Shape.of(2, 2)
    with pytest.raises(
        IndexBoundsError, match="index: 3 is out of bounds for axis 0 of \\[3, 2\\]"
    ):
        _ = x[3]


def test_take_and_one_hot_check_ids() -> None:
    table = sn.tensor(np.arange(8.0).reshape(4, 2))
    ids = sn.tensor([3, 0])
    np.testing.assert_array_equal(sn.take(table, ids).numpy(), [[6.0, 7.0], [0.0, 1.0]])
    with pytest.raises(IndexBoundsError, match="take: index 4 is out of bounds for axis 0"):
        sn.take(table, sn.tensor([4]))
    np.testing.assert_array_equal(sn.one_hot(sn.tensor([2, 0]), 3).numpy(), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(IndexBoundsError, match="one_hot: id 3 is outside \\[0, 3\\)"):
        sn.one_hot(sn.tensor([3]), 3)


def test_reductions() -> None:
    x = sn.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.sum(0).numpy(), [3.0, 5.0, 7.0])
    assert x.mean(axis=1, keepdims=True).shape == Shape.of(2, 1)
    assert x.max().item() == 5.0
    np.testing.assert_array_equal(sn.argmax(x).numpy(), [2, 2])
    with pytest.raises(ShapeError, match="sum: axis 2 is out of range for \\[2, 3\\]"):
        x.sum(2)
    with pytest.raises(ShapeError, match="mean: cannot average over an empty axis of \\[0, 3\\]"):
        sn.zeros((0, 3)).mean(0)
    with pytest.raises(ShapeError, match="max: cannot reduce over an empty axis of \\[0, 3\\]"):
        sn.zeros((0, 3)).max(0)


def test_softmax_family_is_stable() -> None:
    x = sn.tensor([[1000.0, 1000.0], [-1000.0, 0.0]], dtype=np.float64)
    np.testing.assert_allclose(sn.softmax(x).numpy(), [[0.5, 0.5], [0.0, 1.0]])
    np.testing.assert_allclose(sn.logsumexp(x).numpy(), [1000 + np.log(2), 0.0])
    np.testing.assert_allclose(sn.log_softmax(x).numpy()[0], [-np.log(2)] * 2)


def test_float_ops_refuse_ids() -> None:
    with pytest.raises(DTypeError, match="softmax: needs a float32 or float64 tensor, got int64"):
        sn.softmax(sn.tensor([1, 2]))


def test_failed_op_leaves_operands_untouched() -> None:
    a = sn.tensor(np.ones((2, 3)))
    before = a.numpy().copy()
    with pytest.raises(ShapeError):
        _ = a + sn.zeros((3, 2), dtype=np.float64)
    np.testing.assert_array_equal(a.numpy(), before)


def test_truth_value_is_refused() -> None:
    with pytest.raises(TypeError, match="ambiguous"):
        bool(sn.zeros((2,)))


def test_item_needs_one_element() -> None:
    with pytest.raises(ShapeError, match="item: needs exactly one element, got shape \\[2\\]"):
        sn.zeros((2,)).item()
