"""``Linear[In, Out]``: ``y = x @ W.T + b``, weight ``[Out, In]``, bias ``[Out]``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, TypeVarTuple

import numpy as np

from shapely_nn._shape import ShapeError
from shapely_nn._tensor import DTypeError, Tensor, array_of
from shapely_nn.guards import require_size
from shapely_nn.layers._base import (
    Array,
    GradRecord,
    Layer,
    Rng,
    SameLead,
    as_generator,
    require_float_dtype,
    uniform,
)

In = TypeVar("In", bound=int)
Out = TypeVar("Out", bound=int)
Batch = TypeVarTuple("Batch")


@dataclass(frozen=True)
class LinearGrads(GradRecord):
    """Gradients of ``Linear``: ``weight`` ``[Out, In]`` and ``bias`` ``[Out]`` (seed: dW, db)."""

    weight: Array
    bias: Array


@dataclass(frozen=True, init=False, eq=False)
class Linear(Layer, Generic[In, Out]):
    """Affine map on the last axis: ``[*B, In] -> [*B, Out]`` (PyTorch ``nn.Linear``).

    Applied to ``[T, *B, In]`` it is the seeds' time-distributed linear layer: one weight
    shared by every step, gradients summed over steps.
    """

    weight: Array
    bias: Array

    if TYPE_CHECKING:
        # For checkers other than mypy (pyright widens ``Linear(8, 32)`` to ``Linear[int, int]``,
        # which no ``Linear[L[8], L[32]]`` accepts): they read ``__new__``, mypy reads
        # ``__init__`` and keeps the literal sizes.
        def __new__(cls, *args: Any, **kwargs: Any) -> Linear[Any, Any]: ...

    def __init__(
        self, in_features: In, out_features: Out, *, rng: Rng, dtype: Any = np.float32
    ) -> None:
        require_size(in_features=in_features, out_features=out_features)
        gen = as_generator(rng)
        dt = require_float_dtype(dtype)
        bound = 1.0 / math.sqrt(in_features)
        object.__setattr__(self, "weight", uniform(gen, bound, (out_features, in_features), dt))
        object.__setattr__(self, "bias", uniform(gen, bound, (out_features,), dt))

    @classmethod
    def from_arrays(cls, weight: Array, bias: Array) -> Linear[Any, Any]:
        """A layer with these parameters (weight ``[Out, In]``, bias ``[Out]``)."""
        if weight.ndim != 2 or bias.shape != weight.shape[:1]:
            raise ShapeError(
                f"Linear: weight must be [Out, In] and bias [Out], got weight "
                f"{list(weight.shape)} and bias {list(bias.shape)}"
            )
        require_float_dtype(weight.dtype)
        if bias.dtype != weight.dtype:
            raise TypeError(f"Linear: bias dtype {bias.dtype} differs from weight {weight.dtype}")
        out: Linear[Any, Any] = object.__new__(cls)
        object.__setattr__(out, "weight", weight)
        object.__setattr__(out, "bias", bias)
        return out

    @property
    def in_features(self) -> int:
        """Input size ``In``."""
        return int(self.weight.shape[1])

    @property
    def out_features(self) -> int:
        """Output size ``Out``."""
        return int(self.weight.shape[0])

    def _check_input(self, x: Tensor[*tuple[Any, ...]]) -> Array:
        a = array_of("Linear", "x", x)
        if a.ndim == 0 or a.shape[-1] != self.in_features:
            got = "a scalar" if a.ndim == 0 else f"{a.shape[-1]} in {x.shape}"
            raise ShapeError(
                f"Linear[{self.in_features}, {self.out_features}] expects last dim "
                f"{self.in_features}, got {got}"
            )
        if a.dtype != self.weight.dtype:
            raise DTypeError(
                f"Linear: input dtype {a.dtype} differs from weight {self.weight.dtype}"
            )
        return a

    @property
    def leading_dims(self) -> SameLead:
        """``SameLead()``: the leading dims pass through."""
        return SameLead()

    def __call__(self, x: Tensor[*Batch, In]) -> Tensor[*Batch, Out]:
        """Forward pass, ``[*B, In] -> [*B, Out]``."""
        a = self._check_input(x)
        return Tensor(a @ self.weight.T + self.bias)

    def forward(self, x: Tensor[*Batch, In]) -> tuple[Tensor[*Batch, Out], Array]:
        """Forward pass that also returns what ``backward`` needs (the input array)."""
        a = self._check_input(x)
        return Tensor(a @ self.weight.T + self.bias), a

    def backward(
        self, cache: Array, grad_out: Tensor[*Batch, Out]
    ) -> tuple[LinearGrads, Tensor[*Batch, In]]:
        """Reverse pass: parameter gradients summed over all leading dims, and ``dL/dx``."""
        g = array_of("Linear.backward", "grad_out", grad_out)
        if g.shape != (*cache.shape[:-1], self.out_features):
            raise ShapeError(
                f"Linear.backward: grad_out has shape {list(g.shape)}, expected "
                f"{[*cache.shape[:-1], self.out_features]}"
            )
        g2 = g.reshape(-1, self.out_features)
        x2 = cache.reshape(-1, self.in_features)
        grads = LinearGrads(weight=g2.T @ x2, bias=g2.sum(axis=0))
        return grads, Tensor(g @ self.weight)
