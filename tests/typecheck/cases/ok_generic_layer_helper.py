"""A helper generic over a layer's sizes binds them from the layer and the input."""
from typing import TypeVar, TypeVarTuple, reveal_type

from shapely_nn import Tensor
from shapely_nn.layers import Linear

In = TypeVar("In", bound=int)
Out = TypeVar("Out", bound=int)
B = TypeVar("B", bound=int)


def apply(layer: Linear[In, Out], x: Tensor[B, In]) -> Tensor[B, Out]:
    return layer(x)


def use(layer: Linear[In, Out], x: Tensor[B, In]) -> None:
    reveal_type(apply(layer, x))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, Out]"
