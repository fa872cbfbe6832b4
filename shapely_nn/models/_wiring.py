"""What the zoo's record models share: parts run as a chain, grads named by field.

A record model (``SimpleLSTMModel(lstm, output_layer)``) is a frozen dataclass of parts; its
class lists the steps in order (field names, or a parameter-free step such as ``Last()``).
Forward and backward run through a ``Chain`` of those steps, and the grad record names each
part's gradients by its field, so ``grads.as_dict()`` matches ``model.parameters()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from shapely_nn._shape import ShapeError
from shapely_nn._tensor import Tensor, array_of, require_tensor
from shapely_nn.layers._activations import NoGrads
from shapely_nn.layers._base import GradRecord, Layer
from shapely_nn.modules._compose import Chain


@dataclass(frozen=True)
class ModelGrads(GradRecord):
    """Gradients of a record model's parts by field name (``grads.lstm``, ``grads["lstm"]``)."""

    parts: dict[str, GradRecord]

    def children(self) -> list[tuple[str, Any]]:
        """The parts by field name, so names match ``model.parameters()``."""
        return list(self.parts.items())

    def __getattr__(self, name: str) -> GradRecord:
        parts = self.__dict__.get("parts", {})
        if name in parts:
            return parts[name]  # type: ignore[no-any-return]
        raise AttributeError(name)

    def __getitem__(self, name: str) -> GradRecord:
        return self.parts[name]


@dataclass(frozen=True)
class LastCache:
    """Shape of the sequence whose last step was taken."""

    shape: tuple[int, ...]
    dtype: Any


@dataclass(frozen=True, eq=False)
class Last(Layer):
    """The final time step: ``[T, *B, H] -> [*B, H]`` (a many-to-one head reads it)."""

    def __call__(self, x: Tensor[*tuple[Any, ...]]) -> Tensor[*tuple[Any, ...]]:
        """``x[-1]``; the sequence must not be empty."""
        a = array_of("Last", "x", x)
        if a.ndim == 0 or a.shape[0] == 0:
            raise ShapeError(f"Last: needs a non-empty sequence [T, ...], got {x.shape}")
        return Tensor(a[-1])

    def forward(self, x: Tensor[*tuple[Any, ...]]) -> tuple[Tensor[*tuple[Any, ...]], LastCache]:
        """``x[-1]``, remembering the sequence shape."""
        y = self(x)
        return y, LastCache(x.numpy().shape, x.numpy().dtype)

    def backward(self, cache: LastCache, grad: Any) -> tuple[NoGrads, Tensor[*tuple[Any, ...]]]:
        """Zero gradient everywhere but the last step (the seeds' classifier backward)."""
        out = np.zeros(cache.shape, dtype=cache.dtype)
        out[-1] = array_of("Last.backward", "grad", grad)
        return NoGrads(), Tensor(out)


class ChainModel(Layer):
    """A record model whose forward pass is its ``steps`` in order."""

    steps: ClassVar[tuple[str | Layer, ...]]

    def chain(self) -> Chain:
        """The parts as a ``Chain`` (field names resolved to this model's parts)."""
        return Chain([getattr(self, s) if isinstance(s, str) else s for s in self.steps])

    def __call__(self, x: Any) -> Any:
        """Forward pass through the steps."""
        return self.chain()(require_tensor(type(self).__name__, "x", x))

    def forward(self, x: Any) -> tuple[Any, Any]:
        """Forward pass keeping every step's cache."""
        return self.chain().forward(require_tensor(type(self).__name__, "x", x))

    def backward(self, cache: Any, grad: Any) -> tuple[ModelGrads, Any]:
        """Reverse pass; grads named by the model's fields."""
        record, dx = self.chain().backward(cache, grad)
        parts = {
            step: part
            for step, part in zip(self.steps, record.layers, strict=True)
            if isinstance(step, str)
        }
        return ModelGrads(parts), dx
