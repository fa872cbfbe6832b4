"""The dim normal form: equal exactly when equal as integer polynomials."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from shapely_nn._dims import Dim, add, evaluate, floordiv, format_dim, mul, solve

In, H, N, B = Dim("In"), Dim("H"), Dim("N"), Dim("B")


def test_sum_is_commutative_in_normal_form() -> None:
    assert In + H == H + In
    assert add(In, H, H) == add(H, In, H) == In + 2 * H


def test_constants_fold_to_plain_int() -> None:
    assert add(64, 128) == 192
    assert (In + 3) - In == 3
    assert isinstance((In + 3) - In, int)


def test_product_distributes_over_sum() -> None:
    assert 2 * (N + 3) == 2 * N + 6
    assert mul(2, add(N, 3)) == add(mul(2, N), 6)


def test_hash_agrees_with_equality() -> None:
    assert hash(In + H) == hash(H + In)
    assert len({In + H, H + In, In + 2 * H}) == 2


def test_format_reads_naturally() -> None:
    assert format_dim(In + 2 * H) == "2*H + In"
    assert format_dim(H * B + 1) == "B*H + 1"
    assert format_dim(In - H) == "-H + In"


def test_evaluate_needs_every_atom() -> None:
    assert evaluate(In + 2 * H, {"In": 3, "H": 4}) == 11
    assert evaluate(In + H, {"In": 3}) is None


def test_solve_one_linear_unknown() -> None:
    assert solve(In + 2 * H, 11, {"In": 3}) == ("H", 4)
    assert solve(In + 2 * H, 10, {"In": 3}) == "no size H makes 2*H + In equal 10"
    assert solve(In + H, 10, {}) is None
    assert solve(H * H, 16, {}) is None


def test_floordiv_only_when_every_coefficient_divides() -> None:
    assert floordiv(4 * H + 8, 4) == H + 2
    assert floordiv(H + 8, 4) is None
    with pytest.raises(ValueError, match="not known to be divisible by 4"):
        _ = (H + 8) // 4


def test_dim_name_must_be_identifier() -> None:
    with pytest.raises(ValueError, match="identifier"):
        Dim("in h")


def test_dim_is_immutable() -> None:
    with pytest.raises(AttributeError):
        H.x = 1  # type: ignore[attr-defined]


polys = st.lists(
    st.tuples(st.lists(st.sampled_from("ABC"), max_size=2), st.integers(-5, 5)), max_size=4
)


@settings(max_examples=300, deadline=None)
@given(polys, polys, st.integers(0, 7), st.integers(0, 7), st.integers(0, 7))
def test_normal_form_evaluates_like_the_polynomial(
    p: list[tuple[list[str], int]], q: list[tuple[list[str], int]], a: int, b: int, c: int
) -> None:
    env = {"A": a, "B": b, "C": c}

    def direct(terms: list[tuple[list[str], int]]) -> int:
        total = 0
        for names, coeff in terms:
            value = coeff
            for n in names:
                value *= env[n]
            total += value
        return total

    dp = Dim.from_terms((tuple(n), k) for n, k in p)
    dq = Dim.from_terms((tuple(n), k) for n, k in q)
    assert evaluate(dp, env) == direct(p)
    assert evaluate(add(dp, dq), env) == direct(p) + direct(q)
    assert evaluate(mul(dp, dq), env) == direct(p) * direct(q)


@pytest.mark.parametrize(("name", "got"), [(None, "NoneType None"), (3, "int 3"), (b"B", "bytes")])
def test_a_dim_name_that_is_not_a_str_is_a_type_error(name: object, got: str) -> None:
    with pytest.raises(TypeError, match=f"^Dim: name must be a str, got {got}"):
        Dim(name)  # type: ignore[arg-type]


def test_a_str_that_is_no_identifier_stays_a_value_error() -> None:
    with pytest.raises(ValueError, match="a dim name must be an identifier, got '2x'"):
        Dim("2x")
