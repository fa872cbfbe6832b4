"""Arithmetic dims are compared in normal form."""
from typing import Literal as L, TypeVar, reveal_type

from shapely_nn import Add, Mul, Tensor

B = TypeVar("B", bound=int)
In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)


def fold(x: Tensor[B, Add[L[64], L[128]]]) -> Tensor[B, L[192]]:
    return x


def reorder(x: Tensor[Add[In, H, H]]) -> Tensor[Add[H, In, H]]:
    return x


def collect(x: Tensor[Add[H, In, H]]) -> Tensor[Add[In, Mul[L[2], H]]]:
    return x


def distribute(x: Tensor[Mul[L[2], Add[H, L[3]]]]) -> Tensor[Add[Mul[L[2], H], L[6]]]:
    reveal_type(x)  # N: Revealed type is "shapely_nn._tensor.Tensor[shapely_nn_dims.Add[shapely_nn_dims.Mul[Literal[2], H], Literal[6]]]"
    return x


def single(x: Tensor[Add[H]], y: Tensor[Add[H, L[0]]]) -> Tensor[H]:
    reveal_type(y)  # N: Revealed type is "shapely_nn._tensor.Tensor[H]"
    return x
