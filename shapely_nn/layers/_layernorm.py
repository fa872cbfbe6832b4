"""``LayerNorm[D]``: normalise the last axis to zero mean, unit variance; then scale, shift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, TypeVarTuple

import numpy as np

from shapely_nn._shape import ShapeError
from shapely_nn._tensor import DTypeError, Tensor, array_of
from shapely_nn.guards import require_positive_number, require_size
from shapely_nn.layers import _fast
from shapely_nn.layers._base import Array, GradRecord, Layer, SameLead, require_float_dtype
from shapely_nn.layers._workspace import carve_named

D = TypeVar("D", bound=int)
Batch = TypeVarTuple("Batch")


@dataclass(frozen=True)
class LayerNormGrads(GradRecord):
    """Gradients of ``LayerNorm``: ``weight`` ``[D]`` and ``bias`` ``[D]``."""

    weight: Array
    bias: Array


@dataclass(frozen=True)
class LayerNormCache:
    """What ``LayerNorm.backward`` needs: the normalised input and ``1 / std`` per row ``[N]``."""

    normalized: Array
    inv_std: Array


# ---- kernels on rows [N, D], writing into given arrays (the transformer layers carve them) ----


def normalize_rows(rows: Array, eps: float, normalized: Array, inv_std: Array) -> None:
    """``normalized = (rows - mean) / sqrt(var + eps)`` per row, and ``inv_std`` ``[N]``.

    ``normalized`` may be ``rows`` itself (in place). The row sums go through BLAS (a product
    with a ones vector): on rows of 32 to 512 it is several times faster than ``add.reduce``.
    """
    scalar = np.empty(2, dtype=rows.dtype)
    if _fast.run_compiled("layernorm_rows", rows, float(eps), normalized, inv_std, scalar):
        return
    size = rows.shape[1]
    mean = inv_std  # the means pass through inv_std's storage
    np.matmul(rows, np.ones(size, dtype=rows.dtype), out=mean)
    mean /= size
    np.subtract(rows, mean[:, None], out=normalized)
    np.einsum("ij,ij->i", normalized, normalized, out=inv_std)  # fused, no squared temporary
    inv_std /= size
    inv_std += rows.dtype.type(eps)
    np.sqrt(inv_std, out=inv_std)
    np.reciprocal(inv_std, out=inv_std)
    normalized *= inv_std[:, None]


def scale_shift_rows(normalized: Array, weight: Array, bias: Array, out: Array) -> None:
    """``out = normalized * weight + bias``."""
    if _fast.run_compiled("scale_shift_rows", normalized, weight, bias, out):
        return
    np.multiply(normalized, weight, out=out)
    out += bias


def backward_rows(
    g: Array,
    normalized: Array,
    inv_std: Array,
    weight: Array,
    *,
    d_weight: Array,
    d_bias: Array,
    out: Array,
    scratch: Array,
) -> None:
    """Reverse pass on rows ``[N, D]``: parameter gradients and ``dL/dx`` into ``out``.

    ``out`` may be ``g`` (in place); ``scratch`` is one more ``[N, D]`` array.
    ``dx = inv_std * (g_hat - mean(g_hat) - normalized * mean(g_hat * normalized))`` with
    ``g_hat = g * weight``.
    """
    scalar = np.empty(2, dtype=g.dtype)
    args = (g, normalized, inv_std, weight, d_weight, d_bias, out, scalar)
    if _fast.run_compiled("layernorm_back_rows", *args):
        return
    n, size = g.shape
    np.matmul(np.ones(n, dtype=g.dtype), g, out=d_bias)  # column sums by BLAS
    np.einsum("ij,ij->j", g, normalized, out=d_weight)
    np.multiply(g, weight, out=out)
    mean_g = np.matmul(out, np.ones(size, dtype=g.dtype))
    mean_g /= size
    mean_gx = np.einsum("ij,ij->i", out, normalized)
    mean_gx /= size
    np.multiply(normalized, mean_gx[:, None], out=scratch)
    scratch += mean_g[:, None]
    out -= scratch
    out *= inv_std[:, None]


@dataclass(frozen=True, init=False, eq=False)
class LayerNorm(Layer, Generic[D]):
    """Layer normalisation over the last axis: ``[*B, D] -> [*B, D]`` (``nn.LayerNorm(D)``).

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with the biased variance, as PyTorch.
    Weight starts at ones and bias at zeros (PyTorch's init), so no generator is needed.
    """

    weight: Array
    bias: Array
    eps: float

    if TYPE_CHECKING:
        # For checkers other than mypy, which widen literal sizes without a declared type in
        # sight (see Linear.__new__).
        def __new__(cls, *args: Any, **kwargs: Any) -> LayerNorm[Any]: ...

    def __init__(self, size: D, *, eps: float = 1e-5, dtype: Any = np.float32) -> None:
        require_size(size=size)
        require_positive_number(eps=eps)
        dt = require_float_dtype(dtype)
        object.__setattr__(self, "weight", np.ones(size, dtype=dt))
        object.__setattr__(self, "bias", np.zeros(size, dtype=dt))
        object.__setattr__(self, "eps", float(eps))

    @classmethod
    def from_arrays(cls, weight: Array, bias: Array, *, eps: float = 1e-5) -> LayerNorm[Any]:
        """A layer with these parameters (weight ``[D]``, bias ``[D]``)."""
        require_positive_number(eps=eps)
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
        a = array_of("LayerNorm", "x", x)
        if a.ndim == 0 or a.shape[-1] != self.size:
            got = "a scalar" if a.ndim == 0 else f"{a.shape[-1]} in {x.shape}"
            raise ShapeError(f"LayerNorm[{self.size}] expects last dim {self.size}, got {got}")
        if a.dtype != self.weight.dtype:
            raise DTypeError(
                f"LayerNorm: input dtype {a.dtype} differs from weight {self.weight.dtype}"
            )
        return a

    def forward_array(self, a: Array) -> tuple[Array, LayerNormCache]:
        """Forward pass on an already checked array."""
        rows = a.reshape(-1, self.size)
        n = rows.shape[0]
        work = carve_named(a.dtype, {"normalized": rows.shape, "y": rows.shape, "inv_std": (n,)})
        normalize_rows(rows, self.eps, work["normalized"], work["inv_std"])
        scale_shift_rows(work["normalized"], self.weight, self.bias, work["y"])
        cache = LayerNormCache(work["normalized"].reshape(a.shape), work["inv_std"])
        return work["y"].reshape(a.shape), cache

    def backward_array(self, cache: LayerNormCache, g: Array) -> tuple[LayerNormGrads, Array]:
        """Reverse pass on arrays: parameter gradients summed over leading dims, and ``dL/dx``."""
        if g.shape != cache.normalized.shape:
            raise ShapeError(
                f"LayerNorm.backward: grad_y has shape {list(g.shape)}, expected "
                f"{list(cache.normalized.shape)}"
            )
        d = self.size
        rows = g.reshape(-1, d)
        work = carve_named(
            g.dtype,
            {"weight": (d,), "bias": (d,), "dx": rows.shape, "scratch": rows.shape},
        )
        backward_rows(
            rows,
            cache.normalized.reshape(-1, d),
            cache.inv_std,
            self.weight,
            d_weight=work["weight"],
            d_bias=work["bias"],
            out=work["dx"],
            scratch=work["scratch"],
        )
        grads = LayerNormGrads(weight=work["weight"], bias=work["bias"])
        return grads, work["dx"].reshape(g.shape)

    @property
    def leading_dims(self) -> SameLead:
        """``SameLead()``: the shape passes through."""
        return SameLead()

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
        grads, grad_x = self.backward_array(cache, array_of("LayerNorm.backward", "grad_y", grad_y))
        return grads, Tensor(grad_x)
