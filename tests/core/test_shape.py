"""The Shape algebra: the seeds' scalar / dim n s, and its operations."""

from __future__ import annotations

import pytest

from shapely_nn import Dim, DimEnv, Shape, ShapeError

T, B, In, H = Dim("T"), Dim("B"), Dim("In"), Dim("H")


def test_dim_nesting_matches_of() -> None:
    nested = Shape.dim(3, Shape.dim(4, Shape.scalar))
    assert nested == Shape.of(3, 4)
    assert nested.dims == (3, 4)
    assert repr(nested) == "[3, 4]"


def test_scalar() -> None:
    assert Shape.scalar.rank == 0
    assert Shape.scalar.size == 1
    assert Shape.scalar.is_scalar
    assert repr(Shape.scalar) == "[]"


def test_rank_size_head_tail() -> None:
    s = Shape.of(2, 3, 5)
    assert (s.rank, s.size, s.head, s.tail) == (3, 30, 2, Shape.of(3, 5))


def test_head_of_scalar_is_an_error() -> None:
    with pytest.raises(ShapeError, match="head: a scalar shape has no dims"):
        _ = Shape.scalar.head
    with pytest.raises(ShapeError, match="tail: a scalar shape has no dims"):
        _ = Shape.scalar.tail


def test_concat_and_append() -> None:
    assert Shape.of(2, 3).concat(Shape.of(4)) == Shape.of(2, 3, 4)
    assert Shape.of(2).append(5) == Shape.of(2, 5)
    assert Shape.scalar.append(7) == Shape.of(7)


def test_symbolic_dims_and_size() -> None:
    s = Shape.of(T, In + H)
    assert repr(s) == "[T, H + In]"
    assert s.size == T * In + T * H
    assert not s.is_concrete


def test_equality_and_hash_use_normal_form() -> None:
    assert Shape.of(T, In + H) == Shape.of(T, H + In)
    assert hash(Shape.of(T, In + H)) == hash(Shape.of(T, H + In))
    assert Shape.of(2, 3) != Shape.of(3, 2)
    assert Shape.of(2, 3) == (2, 3)


def test_negative_dim_rejected() -> None:
    with pytest.raises(ShapeError, match="non-negative, got -1"):
        Shape.of(2, -1)


def test_non_dim_rejected() -> None:
    with pytest.raises(TypeError, match="a dim must be an int or a Dim"):
        Shape.of(2, 1.5)  # type: ignore[arg-type]


def test_as_tuple_refuses_symbols() -> None:
    assert Shape.of(2, 3).as_tuple() == (2, 3)
    with pytest.raises(ShapeError, match="symbolic dim T at axis 0"):
        Shape.of(T, 3).as_tuple()


def test_evaluate_substitutes_bound_symbols() -> None:
    env = DimEnv()
    assert env.bind(T, 5, "x") is None
    assert env.bind(In, 3, "x") is None
    assert Shape.of(T, In + H).evaluate(env) == Shape.of(5, H + 3)


def test_env_binds_once_and_names_the_origin() -> None:
    env = DimEnv()
    assert env.bind(B, 4, 'argument "x" axis 0') is None
    assert env.bind(B, 4, 'argument "h" axis 0') is None
    assert env.bind(B, 5, 'argument "h" axis 0') == ('B is 4 (from argument "x" axis 0), got 5')


def test_env_solves_sums_for_one_unknown() -> None:
    env = DimEnv()
    env.bind(In, 3, "x")
    assert env.bind(In + 2 * H, 11, "w") is None
    assert env["H"] == 4
    assert env.bind(In + 2 * H, 12, "w") == "expected 2*H + In = 11, got 12"


def test_env_literal_mismatch() -> None:
    assert DimEnv().bind(64, 32, "x") == "expected 64, got 32"


def test_replace_remove_axis() -> None:
    s = Shape.of(2, 3, 4)
    assert s.replace(-1, 7) == Shape.of(2, 3, 7)
    assert s.remove(0) == Shape.of(3, 4)
    with pytest.raises(ShapeError, match="axis 3 is out of range for \\[2, 3, 4\\] \\(rank 3\\)"):
        s.axis(3)


def test_shape_is_immutable() -> None:
    with pytest.raises(AttributeError):
        Shape.of(1)._dims = (2,)  # type: ignore[misc]
