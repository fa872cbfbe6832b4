"""A Bi-LSTM's output is [T, H + H]; a consumer of 2H accepts it."""
from typing import Literal as L, TypeVar, reveal_type

from shapely_nn import Add, Mul, Tensor, concat
from shapely_nn.layers import Linear

T = TypeVar("T", bound=int)
H = TypeVar("H", bound=int)


def bilstm_output(fwd: Tensor[T, H], bwd: Tensor[T, H]) -> Tensor[T, Add[H, H]]:
    return concat([fwd, bwd], axis=-1)


def head(out: Tensor[T, Add[H, H]], proj: Linear[Mul[L[2], H], L[5]]) -> Tensor[T, L[5]]:
    reveal_type(proj(out))  # N: Revealed type is "shapely_nn._tensor.Tensor[T, Literal[5]]"
    return proj(out)
