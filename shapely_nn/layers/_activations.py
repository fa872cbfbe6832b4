"""Elementwise activations (tanh, sigmoid, relu, gelu) as functions and as layers.

Each activation comes as an array function, its derivative, and a parameter-free layer with
the usual ``__call__`` / ``forward`` / ``backward`` (grad record ``NoGrads``). GELU matches
PyTorch's ``nn.GELU``: the exact erf form by default, ``approximate="tanh"`` for the tanh form.

NumPy has no vectorised ``erf``; ``erf`` here is a polynomial evaluation fitted once at import
time to ``math.erf`` (Chebyshev interpolation, converted to Horner form): at most ~25 ulp from
``math.erf`` in float64 and a few times faster than ``np.vectorize(math.erf)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVarTuple

import numpy as np
from numpy.polynomial import chebyshev

from shapely_nn import functional
from shapely_nn._shape import ShapeError
from shapely_nn._tensor import DTypeError, Tensor, array_of
from shapely_nn.layers._base import Array, GradRecord, Layer, SameLead

Dims = TypeVarTuple("Dims")

GeluApproximation = Literal["none", "tanh"]
ActivationName = Literal["relu", "gelu", "tanh", "sigmoid"]


# ---- erf ------------------------------------------------------------------------------------


def _horner_fit(fn: Any, low: float, high: float, degree: int) -> Array:
    """Monomial coefficients in ``s in [-1, 1]`` of the Chebyshev interpolant of ``fn``."""

    def on_unit(s: Any) -> Any:
        return np.array([fn(low + (v + 1.0) * (high - low) / 2.0) for v in s])

    coefficients: Array = chebyshev.cheb2poly(chebyshev.chebinterpolate(on_unit, degree))
    return coefficients


def _erf_over_x(u: float) -> float:
    """``erf(sqrt(u)) / sqrt(u)``: smooth in ``u = x**2``, so ``erf(x) = x * g(x**2)``."""
    return math.erf(math.sqrt(u)) / math.sqrt(u) if u > 0 else 2.0 / math.sqrt(math.pi)


def _erfcx(x: float) -> float:
    """Scaled complement ``exp(x**2) * erfc(x)``: slowly varying for ``x >= 2``."""
    return math.erfc(x) * math.exp(x * x)


# |x| < 2: erf(x) = x * g(x^2), g fitted on u in [0, 4];
# 2 <= |x| < 6: erf(|x|) = 1 - exp(-x^2) * erfcx(|x|);  |x| >= 6: erf is 1 in float64.
_SMALL = _horner_fit(_erf_over_x, 0.0, 4.0, 18)
_LARGE = _horner_fit(_erfcx, 2.0, 6.0, 18)


def _horner(coefficients: Array, s: Array) -> Array:
    out = np.full_like(s, coefficients[-1])
    for c in coefficients[-2::-1]:
        out *= s
        out += c
    return out


def erf(x: Array) -> Array:
    """The error function, elementwise, computed in float64; same shape and dtype as ``x``.

    Shape rule: ``[*S] -> [*S]``.
    """
    a = np.asarray(x, dtype=np.float64)
    magnitude = np.abs(a)
    out = np.empty_like(a)
    small = magnitude < 2.0
    xs = a[small]
    out[small] = xs * _horner(_SMALL, xs * xs / 2.0 - 1.0)
    large = ~small
    clipped = np.minimum(magnitude[large], 6.0)
    tail = np.exp(-clipped * clipped) * _horner(_LARGE, (clipped - 4.0) / 2.0)
    out[large] = np.copysign(1.0 - tail, a[large])
    return out.astype(x.dtype, copy=False) if x.dtype != np.float64 else out


# ---- activation functions and derivatives -------------------------------------------------

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_TANH_CUBIC = 0.044715


def gelu(x: Array, approximate: GeluApproximation = "none") -> Array:
    """GELU ``x * Phi(x)`` (erf form), or PyTorch's tanh form; ``[*S] -> [*S]``."""
    a = x.astype(np.float64, copy=False)
    with np.errstate(under="ignore"):  # far tails round to 0, as in PyTorch
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (a + _TANH_CUBIC * a**3)
            out = 0.5 * a * (1.0 + np.tanh(inner))
        else:
            out = 0.5 * a * (1.0 + erf(a * _SQRT_HALF))
        return out.astype(x.dtype, copy=False)


def gelu_derivative(x: Array, approximate: GeluApproximation = "none") -> Array:
    """``d gelu / dx`` elementwise; ``[*S] -> [*S]``."""
    a = x.astype(np.float64, copy=False)
    with np.errstate(under="ignore"):  # the density term underflows to 0 in the tails
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (a + _TANH_CUBIC * a**3)
            t = np.tanh(inner)
            d_inner = _SQRT_2_OVER_PI * (1.0 + 3.0 * _TANH_CUBIC * a * a)
            out = 0.5 * (1.0 + t) + 0.5 * a * (1.0 - t * t) * d_inner
        else:
            cdf = 0.5 * (1.0 + erf(a * _SQRT_HALF))
            density = _INV_SQRT_2PI * np.exp(-0.5 * np.minimum(a * a, 1400.0))
            out = cdf + a * density
        return out.astype(x.dtype, copy=False)


def relu_derivative(x: Array) -> Array:
    """``1`` where ``x > 0`` else ``0`` (PyTorch's choice at 0); ``[*S] -> [*S]``."""
    return (x > 0).astype(x.dtype)


def apply_activation(name: ActivationName, x: Array) -> Array:
    """The named activation of ``x``; ``[*S] -> [*S]``."""
    if name == "relu":
        return functional.relu(x)
    if name == "gelu":
        return gelu(x)
    if name == "tanh":
        out: Array = np.tanh(x)
        return out
    return functional.sigmoid(x)


def activation_vjp(name: ActivationName, x: Array, y: Array, grad_y: Array) -> Array:
    """``grad_y * f'(x)`` for the named activation, from its input ``x`` and output ``y``."""
    if name == "relu":
        relu_grad: Array = grad_y * (x > 0)  # a bool factor: much faster than np.where
        return relu_grad
    if name == "gelu":
        return grad_y * gelu_derivative(x)
    if name == "tanh":
        out: Array = grad_y * (1 - y * y)
        return out
    sig: Array = grad_y * y * (1 - y)
    return sig


# ---- layers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoGrads(GradRecord):
    """Grad record of a layer without parameters (activations, softmax, dropout)."""


def wrap(a: Array) -> Tensor[*tuple[Any, ...]]:
    """``a`` as a ``Tensor`` of unspecified shape (for calls between layers)."""
    return Tensor(a)


def check_float_input(layer: str, x: Tensor[*tuple[Any, ...]]) -> Array:
    """The array of ``x``, or ``TypeError`` unless it is a float32/float64 ``Tensor``."""
    a = array_of(layer, "x", x)
    if a.dtype not in (np.float32, np.float64):
        raise DTypeError(f"{layer} expects a float32 or float64 tensor, got {a.dtype}")
    return a


def check_grad_shape(layer: str, expected: tuple[int, ...], grad: Array) -> None:
    """``ShapeError`` unless the upstream gradient has the forward output's shape."""
    if grad.shape != expected:
        raise ShapeError(
            f"{layer}.backward: grad_y has shape {list(grad.shape)}, expected {list(expected)}"
        )


@dataclass(frozen=True)
class _ActivationCache:
    x: Array
    y: Array


@dataclass(frozen=True, eq=False)
class _Activation(Layer):
    """Elementwise activation: ``[*S] -> [*S]``, no parameters."""

    name: ClassVar[ActivationName]

    def _apply(self, a: Array) -> Array:
        return apply_activation(self.name, a)

    @property
    def leading_dims(self) -> SameLead:
        """``SameLead()``: elementwise, every dim passes through."""
        return SameLead()

    def __call__(self, x: Tensor[*Dims]) -> Tensor[*Dims]:
        """Forward pass, ``[*S] -> [*S]``."""
        return Tensor(self._apply(check_float_input(type(self).__name__, x)))

    def forward(self, x: Tensor[*Dims]) -> tuple[Tensor[*Dims], _ActivationCache]:
        """Forward pass that also returns what ``backward`` needs (input and output)."""
        a = check_float_input(type(self).__name__, x)
        y = self._apply(a)
        return Tensor(y), _ActivationCache(a, y)

    def backward(
        self, cache: _ActivationCache, grad_y: Tensor[*Dims]
    ) -> tuple[NoGrads, Tensor[*Dims]]:
        """Reverse pass: ``dL/dx = dL/dy * f'(x)``."""
        g = array_of(f"{type(self).__name__}.backward", "grad_y", grad_y)
        check_grad_shape(type(self).__name__, cache.x.shape, g)
        return NoGrads(), Tensor(self._vjp(cache, g))

    def _vjp(self, cache: _ActivationCache, g: Array) -> Array:
        return activation_vjp(self.name, cache.x, cache.y, g)

    @property
    def dtype(self) -> np.dtype[Any]:
        """Activations have no parameters and take either float dtype."""
        raise AttributeError(f"{type(self).__name__} has no parameters, hence no dtype")


@dataclass(frozen=True, eq=False)
class Tanh(_Activation):
    """Hyperbolic tangent, ``[*S] -> [*S]`` (``nn.Tanh``)."""

    name: ClassVar[ActivationName] = "tanh"


@dataclass(frozen=True, eq=False)
class Sigmoid(_Activation):
    """Logistic sigmoid, ``[*S] -> [*S]`` (``nn.Sigmoid``)."""

    name: ClassVar[ActivationName] = "sigmoid"


@dataclass(frozen=True, eq=False)
class ReLU(_Activation):
    """``max(x, 0)``, ``[*S] -> [*S]`` (``nn.ReLU``; derivative 0 at 0)."""

    name: ClassVar[ActivationName] = "relu"


@dataclass(frozen=True, eq=False)
class GELU(_Activation):
    """Gaussian error linear unit, ``[*S] -> [*S]`` (``nn.GELU(approximate=...)``)."""

    name: ClassVar[ActivationName] = "gelu"
    approximate: GeluApproximation = "none"

    def __post_init__(self) -> None:
        if self.approximate not in ("none", "tanh"):
            raise ValueError(
                f"GELU: approximate must be 'none' or 'tanh', got {self.approximate!r}"
            )

    def _apply(self, a: Array) -> Array:
        return gelu(a, self.approximate)

    def _vjp(self, cache: _ActivationCache, g: Array) -> Array:
        out: Array = g * gelu_derivative(cache.x, self.approximate)
        return out
