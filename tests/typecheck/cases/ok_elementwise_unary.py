"""Shape-preserving ops keep the shape, operators need equal shapes."""
from typing import TypeVar, reveal_type

from shapely_nn import Tensor, exp, relu, softmax, tanh

B = TypeVar("B", bound=int)
H = TypeVar("H", bound=int)


def act(x: Tensor[B, H], y: Tensor[B, H]) -> Tensor[B, H]:
    reveal_type(softmax(x))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, H]"
    reveal_type(x * 2.0 + y)  # N: Revealed type is "shapely_nn._tensor.Tensor[B, H]"
    reveal_type(1.0 - x)  # N: Revealed type is "shapely_nn._tensor.Tensor[B, H]"
    return relu(tanh(exp(x))) / y
