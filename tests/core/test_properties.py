"""Property tests: every op returns NumPy's value and shape, or raises ShapeError.

NumPy is the oracle for values and for which inputs are invalid; on top of it, an op of
ours must never broadcast: wherever NumPy would silently broadcast, we raise instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import shapely_nn as sn
from shapely_nn import ShapeError

EXAMPLES = settings(max_examples=1000, deadline=None)
dims = st.integers(0, 4)
shapes = st.lists(dims, min_size=0, max_size=4).map(tuple)
nonempty_shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple)


def _values(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def _numpy_or_error(fn: Callable[[], Any]) -> Any:
    try:
        with np.errstate(all="ignore"):
            return fn()
    except (ValueError, IndexError, TypeError):
        return None


def _ours_or_error(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except ShapeError:
        return None


def _mutate(shape: tuple[int, ...], data: st.DataObject) -> tuple[int, ...]:
    choice = data.draw(st.sampled_from(["same", "random", "ones"]))
    if choice == "same":
        return shape
    if choice == "ones":  # broadcastable: some dims replaced by 1, maybe fewer dims
        out = tuple(1 if data.draw(st.booleans()) else d for d in shape)
        return out[data.draw(st.integers(0, len(out))) :]
    return data.draw(shapes)


@EXAMPLES
@given(shapes, st.data())
def test_elementwise_equal_shapes_only(shape: tuple[int, ...], data: st.DataObject) -> None:
    other = _mutate(shape, data)
    a, b = _values(shape, 1), _values(other, 2)
    op = data.draw(st.sampled_from(["add", "sub", "mul"]))
    ours = _ours_or_error(lambda: getattr(sn, op)(sn.tensor(a), sn.tensor(b)))
    if shape != other:
        assert ours is None  # numpy would broadcast or fail; we always refuse
        return
    expected = getattr(np, {"add": "add", "sub": "subtract", "mul": "multiply"}[op])(a, b)
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-5, atol=1e-6)


@EXAMPLES
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple), st.data())
def test_matmul_matches_numpy_without_batch_broadcast(
    left: tuple[int, ...], data: st.DataObject
) -> None:
    right_rank = data.draw(st.integers(1, 4))
    right = list(data.draw(st.lists(st.integers(1, 4), min_size=right_rank, max_size=right_rank)))
    if data.draw(st.booleans()):  # make the inner dims agree more often than chance
        right[0 if right_rank == 1 else -2] = left[-1]
    if right_rank > 2 and data.draw(st.booleans()):
        right[:-2] = list(left[:-2])[-(right_rank - 2) :] or right[:-2]
    a, b = _values(left, 3), _values(tuple(right), 4)
    ours = _ours_or_error(lambda: sn.tensor(a) @ sn.tensor(b))
    expected = _numpy_or_error(lambda: np.matmul(a, b))
    batch_broadcast = len(left) >= 2 and right_rank > 2 and tuple(right[:-2]) != tuple(left[:-2])
    if expected is None or batch_broadcast:
        assert ours is None
    else:
        assert ours is not None
        np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-4, atol=1e-5)


@EXAMPLES
@given(nonempty_shapes, st.data())
def test_concat_matches_numpy(shape: tuple[int, ...], data: st.DataObject) -> None:
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    others = [data.draw(st.sampled_from([shape, _mutate(shape, data)])) for _ in range(2)]
    if 0 <= axis % max(1, len(shape)) < len(shape) and data.draw(st.booleans()):
        others = [
            tuple(data.draw(dims) if i == axis % len(shape) else d for i, d in enumerate(shape))
            for _ in others
        ]
    arrays = [_values(s, i) for i, s in enumerate([shape, *others])]
    ours = _ours_or_error(lambda: sn.concat([sn.tensor(a) for a in arrays], axis=axis))
    expected = _numpy_or_error(lambda: np.concatenate(arrays, axis=axis))
    if expected is None:
        assert ours is None
    else:
        np.testing.assert_allclose(ours.numpy(), expected)


@EXAMPLES
@given(nonempty_shapes, st.data())
def test_split_matches_numpy(shape: tuple[int, ...], data: st.DataObject) -> None:
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(0, 4), min_size=1, max_size=3))
    a = _values(shape, 5)
    ours = _ours_or_error(lambda: sn.split(sn.tensor(a), sizes, axis=axis))
    if sum(sizes) != shape[axis]:
        assert ours is None
        return
    expected = np.split(a, np.cumsum(sizes)[:-1], axis=axis)
    assert [p.numpy().shape for p in ours] == [e.shape for e in expected]
    for p, e in zip(ours, expected, strict=True):
        np.testing.assert_allclose(p.numpy(), e.astype(np.float32))


@EXAMPLES
@given(shapes, st.data())
def test_permute_matches_numpy(shape: tuple[int, ...], data: st.DataObject) -> None:
    rank = len(shape)
    if data.draw(st.booleans()):
        axes = data.draw(st.permutations(range(rank)))
    else:
        axes = data.draw(st.lists(st.integers(-rank - 1, rank), max_size=rank + 1))
    a = _values(shape, 6)
    ours = _ours_or_error(lambda: sn.permute(sn.tensor(a), axes))
    expected = _numpy_or_error(lambda: np.transpose(a, axes))
    if expected is None or len(axes) != rank:
        assert ours is None
    else:
        np.testing.assert_array_equal(ours.numpy(), expected)


@EXAMPLES
@given(shapes, st.lists(st.integers(-2, 6), max_size=4))
def test_reshape_matches_numpy(shape: tuple[int, ...], target: list[int]) -> None:
    a = _values(shape, 7)
    ours = _ours_or_error(lambda: sn.reshape(sn.tensor(a), target))
    expected = _numpy_or_error(lambda: a.reshape(target))
    if expected is None or any(d < -1 for d in target):  # numpy reads any negative as -1
        assert ours is None
    else:
        assert ours is not None and ours.numpy().shape == expected.shape
        np.testing.assert_array_equal(ours.numpy(), expected)


@EXAMPLES
@given(shapes, st.data())
def test_reductions_match_numpy(shape: tuple[int, ...], data: st.DataObject) -> None:
    rank = len(shape)
    axis = data.draw(
        st.one_of(
            st.none(),
            st.integers(-rank - 1, rank),
            st.lists(st.integers(-rank, max(0, rank - 1)), max_size=2).map(tuple),
        )
    )
    keepdims = data.draw(st.booleans())
    op = data.draw(st.sampled_from(["sum_", "max_"]))
    a = _values(shape, 8)
    ours = _ours_or_error(lambda: getattr(sn, op)(sn.tensor(a), axis, keepdims))
    fn = np.sum if op == "sum_" else np.max
    expected = _numpy_or_error(lambda: fn(a, axis=axis, keepdims=keepdims))
    scalar_axis = rank == 0 and axis not in (None, ())  # numpy lets axis 0 through on a 0-d array
    if expected is None or scalar_axis:
        assert ours is None
    else:
        assert ours is not None and ours.numpy().shape == np.shape(expected)
        np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-5, atol=1e-5)


@EXAMPLES
@given(nonempty_shapes, st.data())
def test_take_matches_numpy_and_checks_bounds(shape: tuple[int, ...], data: st.DataObject) -> None:
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    ids = np.array(data.draw(st.lists(st.integers(-6, 6), max_size=3)), dtype=np.int64)
    a = _values(shape, 9)
    ours = _ours_or_error(lambda: sn.take(sn.tensor(a), sn.tensor(ids), axis=axis))
    expected = _numpy_or_error(lambda: np.take(a, ids, axis=axis))
    if expected is None:
        assert ours is None
    else:
        np.testing.assert_array_equal(ours.numpy(), expected)


@EXAMPLES
@given(shapes, st.integers(-5, 4), st.sampled_from(["softmax", "log_softmax"]))
def test_softmax_family_matches_definition(shape: tuple[int, ...], axis: int, op: str) -> None:
    a = _values(shape, 10) * 30
    ours = _ours_or_error(lambda: getattr(sn, op)(sn.tensor(a, dtype=np.float64), axis))
    rank = len(shape)
    if not -rank <= axis < rank or shape[axis] == 0:
        assert ours is None
        return
    shifted = a - a.max(axis=axis, keepdims=True)
    with np.errstate(under="ignore"):
        log_p = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    expected = np.exp(log_p) if op == "softmax" else log_p
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n", [1, 5])
def test_one_hot_rows_sum_to_one(n: int) -> None:
    ids = np.arange(n, dtype=np.int64) % 3
    out = sn.one_hot(sn.tensor(ids), 3).numpy()
    np.testing.assert_array_equal(out.argmax(-1), ids)
    np.testing.assert_array_equal(out.sum(-1), np.ones(n))
