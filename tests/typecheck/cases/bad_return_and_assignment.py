"""Returns and assignments of a computed tensor with the wrong shape are shape errors."""
from typing import Literal as L, TypeVar, TypeVarTuple

from shapely_nn import Tensor, concat
from shapely_nn.layers import Linear, ReLU
from shapely_nn.modules import Chain, SameLead

B = TypeVar("B", bound=int)
T = TypeVar("T", bound=int)
S = TypeVarTuple("S")


def call_returned(x: Tensor[B, L[3]], lin: Linear[L[3], L[4]]) -> Tensor[B, L[5]]:
    return lin(x)  # E: Return value Tensor[B, 4] does not match the declared Tensor[B, 5]: dim 1 is 4, expected 5  [shape]


def assigned(x: Tensor[B, L[3]], lin: Linear[L[3], L[4]]) -> None:
    y: Tensor[B, L[5]] = lin(x)  # E: Assigned value Tensor[B, 4] does not match the declared Tensor[B, 5]: dim 1 is 4, expected 5  [shape]
    z: Tensor[B, L[4]] = lin(x)
    w: Tensor[L[4]] = lin(x)  # E: Assigned value Tensor[B, 4] does not match the declared Tensor[4]: rank 2, expected rank 1  [shape]


def transposed(x: Tensor[B, T]) -> Tensor[B, T]:
    return x.T  # E: Return value Tensor[T, B] does not match the declared Tensor[B, T]: dim 0 is T, expected B  [shape]


def operator_kept(x: Tensor[B, L[3]]) -> Tensor[B, L[3]]:
    return x + x


def op_returned(x: Tensor[B, L[3]]) -> Tensor[B, L[5]]:
    return concat([x, x], axis=-1)  # E: Return value Tensor[B, 6] does not match the declared Tensor[B, 5]: dim 1 is 6, expected 5  [shape]


def variadic(x: Tensor[*S, L[3]], lin: Linear[L[3], L[4]]) -> Tensor[*S, L[5]]:
    return lin(x)  # E: Return value Tensor[*S, 4] does not match the declared Tensor[*S, 5]: last dim is 4, expected 5  [shape]


# A plain name involves no call: the plugin reads mypy's own error and says it in shapes.
def plain_name(x: Tensor[B, L[4]]) -> Tensor[B, L[5]]:
    return x  # E: Return value Tensor[B, 4] does not match the declared Tensor[B, 5]: dim 1 is 4, expected 5  [shape]


# A chain does not track leading dims (``Tensor[..., 5]``): what it knows still has to fit.
def chain_returned(x: Tensor[B, L[3]], net: Chain[L[3], L[5]]) -> Tensor[B, L[4]]:
    return net(x)  # E: Return value Tensor[..., 5] does not match the declared Tensor[B, 4]: last dim is 5, expected 4  [shape]


def chain_rank(x: Tensor[B, L[3]], net: Chain[L[3], L[5]]) -> Tensor[()]:
    return net(x)  # E: Return value Tensor[..., 5] does not match the declared Tensor[()]: rank at least 1, expected rank 0  [shape]


def chain_fits(x: Tensor[B, L[3]], net: Chain[L[3], L[5]]) -> Tensor[B, L[5]]:
    y: Tensor[B, L[5]] = net(x)
    return net(x)


# A chain whose parts all keep the leading dims (``Chain[.., SameLead]``) gives them back.
def same_lead_returned(x: Tensor[T, B, L[3]], net: Chain[L[3], L[5], SameLead]) -> Tensor[B, L[5]]:
    y: Tensor[T, B, L[5]] = net(x)
    return net(x)  # E: Return value Tensor[T, B, 5] does not match the declared Tensor[B, 5]: rank 3, expected rank 2  [shape]


def built_here(x: Tensor[B, L[64]]) -> Tensor[B, L[10]]:
    mlp = Linear(64, 32, rng=0) >> ReLU() >> Linear(32, 10, rng=1)
    y: Tensor[L[7], L[10]] = mlp(x)  # E: Assigned value Tensor[B, 10] does not match the declared Tensor[7, 10]: dim 0 is B, expected 7  [shape]
    return mlp(x)
