"""Guards: the seeds' preconditions, as annotations and as require_* calls."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import pytest
from beartype.roar import BeartypeCallHintParamViolation

import shapely_nn as sn
from shapely_nn import guards
from shapely_nn.guards import GuardError, NonZero, Positive


@sn.shapechecked
def decode(max_len: NonZero, vocab: Positive) -> int:
    return max_len * vocab


def test_annotation_guards_pass_good_values() -> None:
    assert decode(3, 5) == 15


@pytest.mark.parametrize(
    ("args", "text"),
    [((0, 5), "max_len=0 violates .*nonzero \\(!= 0\\)"), ((3, 0), "vocab=0 .*positive \\(> 0\\)")],
)
def test_annotation_guard_names_precondition_and_value(args: tuple[int, int], text: str) -> None:
    with pytest.raises(BeartypeCallHintParamViolation, match=text):
        decode(*args)


def test_divisible_and_below_validators() -> None:
    @sn.shapechecked
    def split_heads(
        embed: Annotated[int, guards.divisible_by(4)], index: Annotated[int, guards.below(3)]
    ) -> int:
        return embed // 4 + index

    assert split_heads(8, 2) == 4
    with pytest.raises(BeartypeCallHintParamViolation, match="embed=10 .*divisible by 4"):
        split_heads(10, 0)
    with pytest.raises(BeartypeCallHintParamViolation, match="index=3 .*in \\[0, 3\\)"):
        split_heads(8, 3)


def test_token_ids_validator() -> None:
    @sn.shapechecked
    def embed(ids: Annotated[sn.Tensor[int], guards.token_ids(5)]) -> int:
        return int(ids.numpy().sum())

    assert embed(sn.tensor([0, 4])) == 4
    with pytest.raises(BeartypeCallHintParamViolation, match="token ids in \\[0, 5\\)"):
        embed(sn.tensor([0, 5]))


def test_require_divisible_message() -> None:
    guards.require_divisible("embed_dim", 12, "heads", 4)
    with pytest.raises(GuardError) as err:
        guards.require_divisible("embed_dim", 10, "heads", 4)
    assert str(err.value) == (
        "embed_dim % heads == 0 does not hold: embed_dim = 10, heads = 4, remainder 2"
    )
    with pytest.raises(GuardError, match="heads > 0 does not hold: heads = 0"):
        guards.require_divisible("embed_dim", 10, "heads", 0)


def test_require_positive_and_nonzero() -> None:
    guards.require_positive(seq_len=3, embed=1)
    with pytest.raises(GuardError, match="^seq_len > 0 does not hold: seq_len = 0$"):
        guards.require_positive(seq_len=0)
    with pytest.raises(GuardError, match="^max_len != 0 does not hold: max_len = 0$"):
        guards.require_nonzero(max_len=0)


def test_require_ids_in_range_names_first_offender() -> None:
    guards.require_ids_in_range(sn.tensor([0, 1, 7]), 8)
    with pytest.raises(GuardError) as err:
        guards.require_ids_in_range(sn.tensor([[0, 9], [8, 1]]), 8, name="src")
    assert str(err.value) == "every id in src must be in [0, 8): src[(0, 1)] = 9 (2 out of range)"
    with pytest.raises(GuardError, match="must be integer token ids, got dtype float64"):
        guards.require_ids_in_range(np.zeros(2), 8)


def test_require_index() -> None:
    guards.require_index("t", 0, 1)
    with pytest.raises(GuardError, match="^0 <= t < 4 does not hold: t = 4$"):
        guards.require_index("t", 4, 4)


def test_guard_error_is_a_value_error() -> None:
    assert issubclass(GuardError, ValueError)


@pytest.mark.parametrize(
    ("value", "error", "text"),
    [
        (True, TypeError, "^heads must be an int, got bool True; a bool is not a size"),
        (2.0, TypeError, "^heads must be an int, got float 2.0$"),
        ("8", TypeError, "^heads must be an int, got str '8'$"),
        (None, TypeError, "^heads must be an int, got None$"),
        (0, GuardError, "^heads > 0 does not hold: heads = 0$"),
        (-3, GuardError, "^heads > 0 does not hold: heads = -3$"),
    ],
)
def test_require_size_refuses_non_ints_bools_and_non_positives(
    value: object, error: type[Exception], text: str
) -> None:
    with pytest.raises(error, match=text):
        guards.require_size(heads=value)


def test_require_size_takes_python_and_numpy_ints() -> None:
    guards.require_size(heads=4, max_len=np.int64(1))  # returns None, raises nothing
    with pytest.raises(GuardError, match="max_len > 0"):
        guards.require_size(heads=4, max_len=np.int64(0))


@pytest.mark.parametrize(
    ("value", "error", "text"),
    [
        (True, TypeError, "^p must be a real number, got bool True"),
        (float("nan"), TypeError, "^p must be a finite real number, got nan$"),
        (float("inf"), TypeError, "^p must be a finite real number, got inf$"),
        (-0.5, GuardError, "^0 <= p <= 1 does not hold: p = -0.5$"),
        (1.5, GuardError, "^0 <= p <= 1 does not hold: p = 1.5$"),
    ],
)
def test_require_rate(value: object, error: type[Exception], text: str) -> None:
    with pytest.raises(error, match=text):
        guards.require_rate(p=value)


def test_rates_at_the_ends_and_positive_numbers_pass_but_zero_lr_does_not() -> None:
    guards.require_rate(p=0.0, q=1, r=np.float32(0.5))
    guards.require_positive_number(lr=1e-3, eps=np.float64(1e-8))
    with pytest.raises(GuardError, match="^lr > 0 does not hold: lr = 0.0$"):
        guards.require_positive_number(lr=0.0)
    with pytest.raises(GuardError, match="^momentum >= 0 does not hold: momentum = -0.1$"):
        guards.require_nonnegative_number(momentum=-0.1)
