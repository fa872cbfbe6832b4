"""Any (or an unannotated value) never makes a shape error."""
from typing import Any, Literal as L, TypeVar

from shapely_nn import AnyTensor, Tensor, concat
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)


def loose(x: Any, y: AnyTensor, z: Tensor[B, Any], w: Tensor[B, int]) -> None:
    lin = Linear(64, 10, rng=0)
    lin(x)
    lin(y)
    lin(z)
    lin(w)
    concat([x, y, z])
    y @ y


def partial(x, y):  # type: ignore[no-untyped-def]
    return concat([x, y])
