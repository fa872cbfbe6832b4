"""``LayerNorm[D]``: normalise the last axis to zero mean, unit variance; then scale, shift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar, TypeVarTuple

import numpy as np

from shapely_nn._shape import ShapeError
from shapely_nn._tensor import Tensor
from shapely_nn.guards import require_positive
from shapely_nn.layers._base import Array, GradRecord, Layer, require_float_dtype

D = TypeVar("D", bound=int)
Batch = TypeVarTuple("Batch")


@dataclass(frozen=True)
class LayerNormGrads(GradRecord):
    """Gradients of ``LayerNorm``: ``weight`` ``[D]`` and ``bias`` ``[D]``."""

    weight: Array
    bias: Array


@dataclass(frozen=True)
class LayerNormCache:
    """What ``LayerNorm.backward`` needs: the normalised input and ``1 / std`` per row."""

    normalized: Array
    inv_std: Array


@dataclass(frozen=True, init=False, eq=False)
class LayerNorm(Layer, Generic[D]):
    """Layer normalisation over the last axis: ``[*B, D] -> [*B, D]`` (``nn.LayerNorm(D)``).

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with the biased variance, as PyTorch.
    Weight starts at ones and bias at zeros (PyTorch's init), so no generator is needed.
    """

    weight: Array
    bias: Array
    eps: float

    def __init__(self, size: D, *, eps: float = 1e-5, dtype: Any = np.float32) -> None:
        require_positive(size=size)
        dt = require_float_dtype(dtype)
        object.__setattr__(self, "weight", np.ones(size, dtype=dt))
        object.__setattr__(self, "bias", np.zeros(size, dtype=dt))
        object.__setattr__(self, "eps", float(eps))

    @classmethod
    def from_arrays(cls, weight: Array, bias: Array, *, eps: float = 1e-5) -> LayerNorm[Any]:
        """A layer with these parameters (weight ``[D]``, bias ``[D]``)."""
        if weight.ndim != 1 or bias.shape != weight.shape:
            raise ShapeError(
                f"LayerNorm: weight and bias must both be [D], got weight "
                f"{list(weight.shape)} and bias {list(bias.shape)}"
            )
        require_float_dtype(weight.dtype)
        if bias.dtype != weight.dtype:
            raise TypeError(
                f"LayerNorm: bias dtype {bias.dtype} differs from weight {weight.dtype}"
            )
        out: LayerNorm[Any] = object.__new__(cls)
        object.__setattr__(out, "weight", weight)
        object.__setattr__(out, "bias", bias)
        object.__setattr__(out, "eps", float(eps))
        return out

    @property
    def size(self) -> int:
        """The normalised size ``D``."""
        return int(self.weight.shape[0])

    def check_input(self, x: Tensor[*tuple[Any, ...]]) -> Array:
        """The array of ``x``, or ``ShapeError``/``TypeError`` naming the layer and the dim."""
        a = x.numpy()
        if a.ndim == 0 or a.shape[-1] != self.size:
            got = "a scalar" if a.ndim == 0 else f"{a.shape[-1]} in {x.shape}"
            raise ShapeError(f"LayerNorm[{self.size}] expects last dim {self.size}, got {got}")
        if a.dtype != self.weight.dtype:
            raise TypeError(
                f"LayerNorm: input dtype {a.dtype} differs from weight {self.weight.dtype}"
            )
        return a

    def forward_array(self, a: Array) -> tuple[Array, LayerNormCache]:
        """Forward pass on an already checked array."""
        centred = a - a.mean(axis=-1, keepdims=True)
        variance = np.mean(centred * centred, axis=-1, keepdims=True)
        inv_std = 1.0 / np.sqrt(variance + a.dtype.type(self.eps))
        normalized = centred * inv_std
        return normalized * self.weight + self.bias, LayerNormCache(normalized, inv_std)

    def backward_array(self, cache: LayerNormCache, g: Array) -> tuple[LayerNormGrads, Array]:
        """Reverse pass on arrays: parameter gradients summed over leading dims, and ``dL/dx``."""
        if g.shape != cache.normalized.shape:
            raise ShapeError(
                f"LayerNorm.backward: grad_y has shape {list(g.shape)}, expected "
                f"{list(cache.normalized.shape)}"
            )
        xhat = cache.normalized
        g2 = g.reshape(-1, self.size)
        grads = LayerNormGrads(
            weight=np.einsum("nd,nd->d", g2, xhat.reshape(-1, self.size)),
            bias=g2.sum(axis=0),
        )
        g_hat = g * self.weight
        mean_g = g_hat.mean(axis=-1, keepdims=True)
        mean_gx = np.mean(g_hat * xhat, axis=-1, keepdims=True)
        return grads, cache.inv_std * (g_hat - mean_g - xhat * mean_gx)

    def __call__(self, x: Tensor[*Batch, D]) -> Tensor[*Batch, D]:
        """Forward pass, ``[*B, D] -> [*B, D]``."""
        return Tensor(self.forward_array(self.check_input(x))[0])

    def forward(self, x: Tensor[*Batch, D]) -> tuple[Tensor[*Batch, D], LayerNormCache]:
        """Forward pass that also returns what ``backward`` needs."""
        y, cache = self.forward_array(self.check_input(x))
        return Tensor(y), cache

    def backward(
        self, cache: LayerNormCache, grad_y: Tensor[*Batch, D]
    ) -> tuple[LayerNormGrads, Tensor[*Batch, D]]:
        """Reverse pass: ``weight``/``bias`` gradients and ``dL/dx``."""
        grads, grad_x = self.backward_array(cache, grad_y.numpy())
        return grads, Tensor(grad_x)
