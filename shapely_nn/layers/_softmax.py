"""``Softmax`` and ``LogSoftmax`` layers over one axis, stable, with their backward passes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVarTuple

import numpy as np

from shapely_nn import functional
from shapely_nn._shape import ShapeError
from shapely_nn._tensor import Tensor, array_of
from shapely_nn.guards import require_int
from shapely_nn.layers._activations import NoGrads, check_float_input, check_grad_shape
from shapely_nn.layers._base import Array, Layer, SameLead

Dims = TypeVarTuple("Dims")


def softmax_vjp(y: Array, grad_y: Array, axis: int = -1) -> Array:
    """``dL/dx`` of ``y = softmax(x)``: ``y * (g - sum(g * y))`` along ``axis``."""
    out: Array = y * (grad_y - np.sum(grad_y * y, axis=axis, keepdims=True))
    return out


def softmax_vjp_(y: Array, grad_y: Array) -> Array:
    """``softmax_vjp`` along the last axis, in place over ``grad_y`` when it is C-contiguous.

    Returns the result (``grad_y`` itself, or a contiguous copy that was updated). The row dot
    products are one fused ``einsum`` (no ``g * y`` temporary), then two in-place passes.
    """
    if not grad_y.flags.c_contiguous:
        grad_y = np.ascontiguousarray(grad_y)
    width = y.shape[-1]
    g_rows, y_rows = grad_y.reshape(-1, width), y.reshape(-1, width)
    dots = np.einsum("ij,ij->i", g_rows, y_rows)
    g_rows -= dots[:, None]
    g_rows *= y_rows
    return grad_y


def log_softmax_vjp(y: Array, grad_y: Array, axis: int = -1) -> Array:
    """``dL/dx`` of ``y = log_softmax(x)``: ``g - softmax(x) * sum(g)`` along ``axis``."""
    out: Array = grad_y - np.exp(y) * np.sum(grad_y, axis=axis, keepdims=True)
    return out


@dataclass(frozen=True, eq=False)
class _AxisLayer(Layer):
    axis: int = -1

    def __post_init__(self) -> None:
        require_int(axis=self.axis)

    def _check(self, x: Tensor[*Dims]) -> Array:
        a = check_float_input(type(self).__name__, x)
        needed = self.axis + 1 if self.axis >= 0 else -self.axis
        if a.ndim < needed:
            raise ShapeError(
                f"{type(self).__name__}(axis={self.axis}) needs a tensor with at least "
                f"{needed} dims, got shape {x.shape}"
            )
        return a

    def _apply(self, a: Array) -> Array:
        raise NotImplementedError

    def _vjp(self, y: Array, g: Array) -> Array:
        raise NotImplementedError

    @property
    def leading_dims(self) -> SameLead:
        """``SameLead()``: the shape passes through."""
        return SameLead()

    def __call__(self, x: Tensor[*Dims]) -> Tensor[*Dims]:
        """Forward pass, ``[*S] -> [*S]`` (normalised along ``axis``)."""
        with np.errstate(under="ignore"):  # exp of far-below-max logits rounds to 0
            return Tensor(self._apply(self._check(x)))

    def forward(self, x: Tensor[*Dims]) -> tuple[Tensor[*Dims], Array]:
        """Forward pass that also returns what ``backward`` needs (the output)."""
        with np.errstate(under="ignore"):
            y = self._apply(self._check(x))
        return Tensor(y), y

    def backward(self, cache: Array, grad_y: Tensor[*Dims]) -> tuple[NoGrads, Tensor[*Dims]]:
        """Reverse pass: ``dL/dx`` from the cached output."""
        g = array_of(f"{type(self).__name__}.backward", "grad_y", grad_y)
        check_grad_shape(type(self).__name__, cache.shape, g)
        with np.errstate(under="ignore"):
            return NoGrads(), Tensor(self._vjp(cache, g))

    @property
    def dtype(self) -> np.dtype[Any]:
        """No parameters, hence no dtype."""
        raise AttributeError(f"{type(self).__name__} has no parameters, hence no dtype")


@dataclass(frozen=True, eq=False)
class Softmax(_AxisLayer):
    """Stable softmax along ``axis``: ``[*S] -> [*S]`` (``nn.Softmax(dim=axis)``)."""

    def _apply(self, a: Array) -> Array:
        return functional.softmax(a, axis=self.axis)

    def _vjp(self, y: Array, g: Array) -> Array:
        return softmax_vjp(y, g, self.axis)


@dataclass(frozen=True, eq=False)
class LogSoftmax(_AxisLayer):
    """Stable log-softmax along ``axis``: ``[*S] -> [*S]`` (``nn.LogSoftmax(dim=axis)``)."""

    def _apply(self, a: Array) -> Array:
        return functional.log_softmax(a, axis=self.axis)

    def _vjp(self, y: Array, g: Array) -> Array:
        return log_softmax_vjp(y, g, self.axis)
