"""@shapechecked: one binding of each dim per call, across arguments and the return value."""

from __future__ import annotations

import threading
from typing import Any, Literal as L, TypeVar, TypeVarTuple

import numpy as np
import pytest
from beartype.roar import BeartypeCallHintParamViolation
from jaxtyping import Float

import shapely_nn as sn
from shapely_nn import Add, AnnotationError, Mul, ShapeError, Tensor, shapechecked

B = TypeVar("B", bound=int)
T = TypeVar("T", bound=int)
In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)
Batch = TypeVarTuple("Batch")
Rows = Float[np.ndarray, "b 3"]
Column = Float[np.ndarray, "b"]


@shapechecked
def cell_input(x: Tensor[B, In], h: Tensor[B, H]) -> Tensor[B, Add[In, H]]:
    return sn.concat([x, h], axis=-1)


def test_consistent_call_passes_and_returns_value() -> None:
    out = cell_input(sn.ones((2, 3)), sn.zeros((2, 4)))
    assert out.shape == sn.Shape.of(2, 7)
    np.testing.assert_array_equal(out.numpy()[:, :3], 1.0)


def test_symbol_bound_by_one_argument_checked_in_another() -> None:
    with pytest.raises(ShapeError) as err:
        cell_input(sn.zeros((2, 3)), sn.zeros((5, 4)))
    assert str(err.value) == (
        'cell_input(): argument "h" has shape [5, 4], expected Tensor[B, H]: '
        'axis 0: B is 2 (from argument "x" axis 0), got 5'
    )


def test_rank_mismatch() -> None:
    with pytest.raises(
        ShapeError,
        match='argument "x" has shape \\[3\\], expected Tensor\\[B, In\\]: '
        "expected rank 2, got rank 1",
    ):
        cell_input(sn.zeros((3,)), sn.zeros((2, 4)))  # type: ignore[arg-type]


def test_return_value_checked_with_the_same_bindings() -> None:
    @shapechecked
    def wrong(x: Tensor[B, In], h: Tensor[B, H]) -> Tensor[B, Add[In, H]]:
        return sn.concat([x, h, h], axis=-1)

    with pytest.raises(ShapeError) as err:
        wrong(sn.zeros((2, 3)), sn.zeros((2, 4)))
    assert str(err.value) == (
        "wrong(): return value has shape [2, 11], expected Tensor[B, H + In]: "
        "axis 1: expected H + In = 7, got 11"
    )


def test_literal_dims() -> None:
    @shapechecked
    def head(x: Tensor[B, L[64]]) -> Tensor[B]:
        return x.sum(-1)

    assert head(sn.zeros((3, 64))).shape == sn.Shape.of(3)
    with pytest.raises(ShapeError, match="axis 1: expected 64, got 32"):
        head(sn.zeros((3, 32)))


def test_sum_dim_solved_from_its_one_unknown() -> None:
    @shapechecked
    def lstm_input(xhc: Tensor[Add[In, H, H]], h: Tensor[H]) -> Tensor[In]:
        return xhc[: xhc.shape.head - 2 * h.shape.head]  # type: ignore[operator,return-value]

    assert lstm_input(sn.zeros((10,)), sn.zeros((3,))).shape == sn.Shape.of(4)
    with pytest.raises(ShapeError, match="return value has shape \\[3\\], expected Tensor\\[In\\]"):

        @shapechecked
        def off_by_one(xhc: Tensor[Add[In, H, H]], h: Tensor[H]) -> Tensor[In]:
            return xhc[: xhc.shape.head - 2 * h.shape.head - 1]  # type: ignore[operator,return-value]

        off_by_one(sn.zeros((10,)), sn.zeros((3,)))


def test_product_dims() -> None:
    @shapechecked
    def heads(x: Tensor[T, Mul[L[4], H]], h: Tensor[H]) -> Tensor[T, H]:
        return sn.tensor(x.numpy()[:, : len(h)])

    heads(sn.zeros((2, 12)), sn.zeros((3,)))
    with pytest.raises(ShapeError, match="axis 1: no size H makes 4\\*H equal 10$"):
        heads(sn.zeros((2, 10)), sn.zeros((3,)))
    with pytest.raises(ShapeError) as err:
        heads(sn.zeros((2, 12)), sn.zeros((4,)))
    assert str(err.value) == (
        'heads(): argument "h" has shape [4], expected Tensor[H]: '
        'axis 0: H is 3 (from argument "x" axis 1), got 4'
    )


def test_variadic_batch_binds_a_run_of_dims() -> None:
    @shapechecked
    def add_bias(x: Tensor[*Batch, H], y: Tensor[*Batch, H]) -> Tensor[*Batch, H]:
        return x + y

    assert add_bias(sn.zeros((2, 3, 4)), sn.zeros((2, 3, 4))).shape == sn.Shape.of(2, 3, 4)
    with pytest.raises(
        ShapeError, match='\\*Batch is \\[2, 3\\] \\(from argument "x"\\), got \\[3\\]'
    ):
        add_bias(sn.zeros((2, 3, 4)), sn.zeros((3, 4)))  # type: ignore[arg-type]


def test_scalar_tensor_annotation() -> None:
    @shapechecked
    def total(x: Tensor[B]) -> Tensor[()]:
        return x.sum()

    assert total(sn.ones((3,))).item() == 3.0


def test_tuple_return_and_optional_argument() -> None:
    @shapechecked
    def step(x: Tensor[B, H], h: Tensor[B, H] | None = None) -> tuple[Tensor[B, H], Tensor[B]]:
        state = x if h is None else x + h
        return state, state.sum(-1)

    out, summed = step(sn.ones((2, 3)))
    assert (out.shape, summed.shape) == (sn.Shape.of(2, 3), sn.Shape.of(2))
    with pytest.raises(ShapeError, match='argument "h" has shape \\[2, 4\\]'):
        step(sn.ones((2, 3)), h=sn.ones((2, 4)))


def test_non_tensor_argument_rejected() -> None:
    with pytest.raises(
        TypeError,
        match='argument "x" should be a Tenser|should be a Tensor\\[B, In\\], got ndarray',
    ):
        cell_input(np.zeros((2, 3)), sn.zeros((2, 4)))  # type: ignore[arg-type]


def test_ordinary_annotations_checked_by_beartype() -> None:
    @shapechecked
    def scale(x: Tensor[B], factor: float) -> Tensor[B]:
        return x * factor

    with pytest.raises(BeartypeCallHintParamViolation, match="factor"):
        scale(sn.ones((2,)), "2")  # type: ignore[arg-type]


def test_jaxtyping_annotations_on_raw_arrays() -> None:
    @shapechecked
    def raw(x: Rows, y: Rows) -> Column:
        return (x * y).sum(-1)  # type: ignore[no-any-return]

    assert raw(np.ones((2, 3)), np.ones((2, 3))).shape == (2,)
    with pytest.raises(Exception, match="b"):
        raw(np.ones((2, 3)), np.ones((4, 3)))


def test_malformed_annotation_refused_at_decoration() -> None:
    with pytest.raises(AnnotationError, match="not a dim: 1.5"):

        @shapechecked
        def bad(x: Tensor[1.5]) -> None:  # type: ignore[valid-type]
            pass


def test_bindings_are_per_call_in_nested_calls() -> None:
    @shapechecked
    def inner(x: Tensor[B, H]) -> Tensor[B, H]:
        return x

    @shapechecked
    def outer(x: Tensor[B, H]) -> Tensor[B, H]:
        inner(sn.zeros((7, 7)))  # its own B and H: no clash with the caller's
        return x

    assert outer(sn.zeros((2, 3))).shape == sn.Shape.of(2, 3)


def test_bindings_are_per_call_across_threads() -> None:
    errors: list[BaseException] = []

    def worker(batch: int) -> None:
        try:
            for _ in range(200):
                cell_input(sn.zeros((batch, 3)), sn.zeros((batch, 4)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(b,)) for b in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_forward_reference_resolved_at_first_call() -> None:
    namespace: dict[str, Any] = {}
    exec(
        "from __future__ import annotations\n"
        "from typing import TypeVar\n"
        "from shapely_nn import Tensor, shapechecked\n"
        "B = TypeVar('B', bound=int)\n"
        "@shapechecked\n"
        "def f(x: Tensor[B], m: Later) -> Tensor[B]:\n"
        "    return x\n"
        "class Later: ...\n",
        namespace,
    )
    f, later = namespace["f"], namespace["Later"]
    assert f(sn.zeros((2,)), later()).shape == sn.Shape.of(2)
