"""Post-norm transformer layers: ``TransformerEncoderLayer`` and ``TransformerDecoderLayer``.

Post-norm as the seeds' ``Seq2SeqTransformerEncoderSpec`` (and PyTorch's ``norm_first=False``):
``x = norm1(x + self_attn(x))``, (decoder: ``x = norm2(x + cross_attn(x, memory))``), then
``x = norm_last(x + linear2(act(linear1(x))))``. Batch-first, ``[*B, SeqLen, Embed]``.

Dropout (PyTorch's places: attention weights, the attention and feed-forward outputs, the
feed-forward hidden layer) is applied only in training, ``forward(..., rng=generator)``; the
plain call is deterministic and identical to PyTorch's ``eval()`` (the seeds' transformer does
not model dropout).

Speed: the encoder layer's forward takes all its work arrays (the ones its cache keeps) from one
allocation and its backward its temporaries from another (``_workspace``); the sub-layers write
into them with ``out=``, heads are strided views of the projection rows, and biases, residuals
and the layer norms are applied in place. The decoder layer uses the same sub-layer kernels,
each with its own allocation. With the compiled kernels, the encoder layer's call (inference,
unmasked) runs its own lean path (``TransformerEncoderLayer._call_compiled``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, TypeVarTuple

import numpy as np

from shapely_nn._shape import ShapeError
from shapely_nn._tensor import DTypeError, Tensor, array_of, optional_array_of
from shapely_nn.guards import require_positive, require_size
from shapely_nn.layers import _fast
from shapely_nn.layers._activations import ActivationName, apply_activation
from shapely_nn.layers._attention import blocked_mask
from shapely_nn.layers._base import Array, GradRecord, Layer, Rng, as_generator
from shapely_nn.layers._feedforward import (
    FeedForwardCache,
    drop,
    ff_backward,
    ff_backward_work,
    ff_forward,
    ff_layers,
    ff_work,
    undrop,
)
from shapely_nn.layers._layernorm import (
    LayerNorm,
    LayerNormCache,
    LayerNormGrads,
    backward_rows,
    normalize_rows,
    scale_shift_rows,
)
from shapely_nn.layers._linear import Linear, LinearGrads
from shapely_nn.layers._mha import (
    MultiHeadAttention,
    MultiHeadAttentionCache,
    MultiHeadAttentionGrads,
    check_dropout,
)
from shapely_nn.layers._workspace import carve_named, carve_phased

Embed = TypeVar("Embed", bound=int)
Heads = TypeVar("Heads", bound=int)
FF = TypeVar("FF", bound=int)
SeqLen = TypeVar("SeqLen", bound=int)
MemLen = TypeVar("MemLen", bound=int)
Batch = TypeVarTuple("Batch")


# ---- checks and construction shared by both layers ----------------------------------------


def _check_sequence(
    name: str, label: str, x: Tensor[*tuple[Any, ...]], embed: int, dtype: Any
) -> Array:
    a = array_of(name, label, x)
    if a.ndim < 2 or a.shape[-1] != embed:
        got = f"rank {a.ndim}" if a.ndim < 2 else f"{a.shape[-1]} in {x.shape}"
        raise ShapeError(
            f"{name} expects {label} [*B, SeqLen, Embed] with last dim (Embed) {embed}, got {got}"
        )
    if a.dtype != dtype:
        raise DTypeError(f"{name}: {label} dtype {a.dtype} differs from the parameters' {dtype}")
    require_positive(seq_len=a.shape[-2])
    return a


def _mask_array(name: str, label: str, mask: Tensor[*tuple[Any, ...]] | None) -> Array | None:
    return optional_array_of(name, label, mask)


def _check_config(
    embed_dim: int, num_heads: int, ff_dim: int, dropout: float, activation: str
) -> None:
    require_size(embed=embed_dim, heads=num_heads, ff_dim=ff_dim)
    check_dropout(dropout)
    if activation not in ("relu", "gelu"):
        raise ValueError(f"activation must be 'relu' or 'gelu' (as PyTorch), got {activation!r}")


# ---- encoder layer --------------------------------------------------------------------------


@dataclass(frozen=True)
class TransformerEncoderLayerGrads(GradRecord):
    """Gradients of ``TransformerEncoderLayer``, one field per sub-layer."""

    self_attn: MultiHeadAttentionGrads
    linear1: LinearGrads
    linear2: LinearGrads
    norm1: LayerNormGrads
    norm2: LayerNormGrads


@dataclass(frozen=True)
class TransformerEncoderLayerCache:
    """What ``TransformerEncoderLayer.backward`` needs."""

    shape: tuple[int, ...]
    attn: MultiHeadAttentionCache
    keep1: Array | None
    norm1: LayerNormCache
    ff: FeedForwardCache
    keep2: Array | None
    norm2: LayerNormCache


class _Sizes:
    """The sizes both transformer layers read off their parts, and the name in messages."""

    if TYPE_CHECKING:
        self_attn: MultiHeadAttention[Any, Any]
        linear1: Linear[Any, Any]

    @property
    def embed_dim(self) -> int:
        """``Embed``."""
        return self.self_attn.embed_dim

    @property
    def num_heads(self) -> int:
        """``Heads``."""
        return self.self_attn.num_heads

    @property
    def ff_dim(self) -> int:
        """``FF``."""
        return self.linear1.out_features

    def _name(self) -> str:
        return f"{type(self).__name__}[{self.embed_dim}, {self.num_heads}, {self.ff_dim}]"


@dataclass(frozen=True, init=False, eq=False)
class TransformerEncoderLayer(_Sizes, Layer, Generic[Embed, Heads, FF]):
    """Post-norm encoder layer (``nn.TransformerEncoderLayer(norm_first=False, batch_first=True)``).

    Shape rule: ``[*B, SeqLen, Embed] -> [*B, SeqLen, Embed]``; ``SeqLen > 0``, ``Embed > 0``,
    ``Embed % Heads == 0``; feed-forward width ``FF``.
    """

    self_attn: MultiHeadAttention[Any, Any]
    linear1: Linear[Any, Any]
    linear2: Linear[Any, Any]
    norm1: LayerNorm[Any]
    norm2: LayerNorm[Any]
    activation: ActivationName
    dropout: float

    if TYPE_CHECKING:
        # For checkers other than mypy, which widen literal sizes without a declared type in
        # sight (see Linear.__new__).
        def __new__(cls, *args: Any, **kwargs: Any) -> TransformerEncoderLayer[Any, Any, Any]: ...

    def __init__(
        self,
        embed_dim: Embed,
        num_heads: Heads,
        ff_dim: FF,
        *,
        activation: ActivationName = "relu",
        dropout: float = 0.0,
        layer_norm_eps: float = 1e-5,
        rng: Rng,
        dtype: Any = np.float32,
    ) -> None:
        _check_config(embed_dim, num_heads, ff_dim, dropout, activation)
        gen = as_generator(rng)
        attn = MultiHeadAttention(embed_dim, num_heads, dropout=dropout, rng=gen, dtype=dtype)
        linear1, linear2 = ff_layers(embed_dim, ff_dim, gen, dtype)
        object.__setattr__(self, "self_attn", attn)
        object.__setattr__(self, "linear1", linear1)
        object.__setattr__(self, "linear2", linear2)
        object.__setattr__(self, "norm1", LayerNorm(embed_dim, eps=layer_norm_eps, dtype=dtype))
        object.__setattr__(self, "norm2", LayerNorm(embed_dim, eps=layer_norm_eps, dtype=dtype))
        object.__setattr__(self, "activation", activation)
        object.__setattr__(self, "dropout", float(dropout))

    def forward(
        self,
        x: Tensor[*Batch, SeqLen, Embed],
        *,
        key_padding_mask: Tensor[*Batch, SeqLen] | None = None,
        attn_mask: Tensor[SeqLen, SeqLen] | None = None,
        causal: bool = False,
        rng: np.random.Generator | None = None,
    ) -> tuple[Tensor[*Batch, SeqLen, Embed], TransformerEncoderLayerCache]:
        """Forward pass that also returns what ``backward`` needs; ``rng`` turns on dropout."""
        a, blocked = self._prepare(x, key_padding_mask, attn_mask, causal)
        y, cache = self._forward_rows(a, blocked, rng)
        return Tensor(y.reshape(a.shape)), cache

    def _prepare(
        self,
        x: Tensor[*tuple[Any, ...]],
        key_padding_mask: Tensor[*tuple[Any, ...]] | None,
        attn_mask: Tensor[*tuple[Any, ...]] | None,
        causal: bool,
    ) -> tuple[Array, Array | None]:
        """The boundary checks of a call: the checked input and the blocked mask (or None)."""
        a = _check_sequence(self._name(), "x", x, self.embed_dim, self.norm1.weight.dtype)
        batch_shape, seq_len = a.shape[:-2], a.shape[-2]
        blocked = blocked_mask(
            batch_shape,
            seq_len,
            seq_len,
            causal=causal,
            key_padding_mask=_mask_array(self._name(), "key_padding_mask", key_padding_mask),
            attn_mask=_mask_array(self._name(), "attn_mask", attn_mask),
            where=self._name(),
        )
        return a, blocked

    def _forward_rows(
        self, a: Array, blocked: Array | None, rng: np.random.Generator | None
    ) -> tuple[Array, TransformerEncoderLayerCache]:
        """Forward on a checked ``[*B, T, E]`` array; every work array from one allocation."""
        p, e, ff = self.dropout, self.embed_dim, self.ff_dim
        n, t = math.prod(a.shape[:-2]), a.shape[-2]
        rows = n * t
        shapes = self.self_attn.forward_work("self", n, t, t) | ff_work(rows, ff)
        shapes |= {"sum1": (rows, e), "h1": (rows, e), "inv1": (rows,)}
        shapes |= {"sum2": (rows, e), "inv2": (rows,)}
        work = carve_named(a.dtype, shapes)
        sum1, h1, sum2 = work["sum1"], work["h1"], work["sum2"]
        _, attn_cache = self.self_attn.forward_arrays(
            "self", (a,), blocked, rng, work=work, out=sum1
        )
        sum1, keep1 = drop(sum1, p, rng)
        sum1 += a.reshape(rows, e)
        # post-norm: normalise the residual sum in place (only the normalised rows are kept)
        normalize_rows(sum1, self.norm1.eps, sum1, work["inv1"])
        scale_shift_rows(sum1, self.norm1.weight, self.norm1.bias, h1)
        _, ff_cache = ff_forward(
            self.linear1, self.linear2, self.activation, p, h1, rng, work=work, out=sum2
        )
        sum2, keep2 = drop(sum2, p, rng)
        sum2 += h1
        normalize_rows(sum2, self.norm2.eps, sum2, work["inv2"])
        # the output gets its own array: a view would keep the whole work block alive
        y = np.empty_like(sum2)
        scale_shift_rows(sum2, self.norm2.weight, self.norm2.bias, y)
        cache = TransformerEncoderLayerCache(
            a.shape,
            attn_cache,
            keep1,
            LayerNormCache(sum1, work["inv1"]),
            ff_cache,
            keep2,
            LayerNormCache(sum2, work["inv2"]),
        )
        return y, cache

    def __call__(
        self,
        x: Tensor[*Batch, SeqLen, Embed],
        *,
        key_padding_mask: Tensor[*Batch, SeqLen] | None = None,
        attn_mask: Tensor[SeqLen, SeqLen] | None = None,
        causal: bool = False,
    ) -> Tensor[*Batch, SeqLen, Embed]:
        """Deterministic forward pass, ``[*B, SeqLen, Embed] -> [*B, SeqLen, Embed]``."""
        a, blocked = self._prepare(x, key_padding_mask, attn_mask, causal)
        y = None
        if blocked is None:
            y = _fast.try_compiled(lambda fast: self._call_compiled(fast, a))
        if y is None:
            y, _ = self._forward_rows(a, blocked, None)
        return Tensor(y.reshape(a.shape))

    def _call_compiled(self, fast: Any, a: Array) -> Array | None:
        """Inference on a checked ``[*B, T, E]`` array by the compiled kernels (unmasked).

        Each bias add, residual add and layer norm is fused into one pass over rows: the
        attention's output bias (with the values' bias folded in, see ``attend_compiled``) and
        residual into the first norm, the first linear layer's bias into its ReLU, the second's
        bias and residual into the last norm.
        """
        if not fast.HAS_BLAS:
            return None
        e, ff = self.embed_dim, self.ff_dim
        n, t = math.prod(a.shape[:-2]), a.shape[-2]
        rows, dtype = n * t, a.dtype
        x = a.reshape(rows, e)
        attn = self.self_attn
        shapes = attn.call_work("self", n, t, t) | {"sum": (rows, e), "h1": (rows, e)}
        work = carve_named(dtype, shapes | {"pre": (rows, ff)})
        out_bias = attn.attend_compiled(fast, "self", (x,), t, t, work)
        attended, h1, pre = work["sum"], work["h1"], work["pre"]
        np.matmul(work["merged"], attn.out_proj.weight.T, out=attended)
        eps1 = np.full(1, self.norm1.eps, dtype=dtype)
        fast.add_layernorm_rows(attended, x, out_bias, self.norm1.weight, self.norm1.bias, eps1, h1)
        np.matmul(h1, self.linear1.weight.T, out=pre)
        if self.activation == "relu":
            fast.bias_relu_rows(pre, self.linear1.bias)
            act = pre
        else:
            pre += self.linear1.bias
            act = apply_activation(self.activation, pre)
        ff_out = work["sum"]  # the attention's output is spent
        np.matmul(act, self.linear2.weight.T, out=ff_out)
        y = np.empty((rows, e), dtype=dtype)  # its own array: a view would keep the work alive
        eps2 = np.full(1, self.norm2.eps, dtype=dtype)
        norm2 = self.norm2
        fast.add_layernorm_rows(ff_out, h1, self.linear2.bias, norm2.weight, norm2.bias, eps2, y)
        return y

    def backward(
        self, cache: TransformerEncoderLayerCache, grad_y: Tensor[*Batch, SeqLen, Embed]
    ) -> tuple[TransformerEncoderLayerGrads, Tensor[*Batch, SeqLen, Embed]]:
        """Reverse pass: parameter gradients of every sub-layer and ``dL/dx``."""
        g = array_of(f"{self._name()}.backward", "grad_y", grad_y)
        if g.shape != cache.shape:
            raise ShapeError(
                f"{self._name()}.backward: grad_y has shape {list(g.shape)}, expected "
                f"{list(cache.shape)}"
            )
        grads, grad_x = self._backward_rows(cache, g.reshape(-1, self.embed_dim))
        return grads, Tensor(grad_x.reshape(cache.shape))

    def _backward_rows(
        self, cache: TransformerEncoderLayerCache, g: Array
    ) -> tuple[TransformerEncoderLayerGrads, Array]:
        """Reverse pass on ``[N, E]`` rows: temporaries from one allocation, results another."""
        p, e, ff = self.dropout, self.embed_dim, self.ff_dim
        rows = g.shape[0]
        n, _, t, _ = cache.attn.attention.query.shape
        attn_temps, attn_results = self.self_attn.backward_work("self", n, t, t)
        ff_temps, ff_masks, ff_results = ff_backward_work(rows, e, ff, self.activation)
        # the feed-forward temporaries are dead before the attention's are first written
        common = {"d_x": ff_temps.pop("d_x"), "d_merged": attn_temps.pop("d_merged")}
        ff_phase = (ff_temps | {"d_sum2": (rows, e)}, ff_masks)
        temps = carve_phased(g.dtype, common, [ff_phase, (attn_temps, {})])
        norm_shapes = {f"{name}_{part}": (e,) for name in ("norm1", "norm2") for part in "wb"}
        results = carve_named(g.dtype, attn_results | ff_results | norm_shapes)
        # the layer norms' scratch rows: the attention's d_merged, free until its backward
        d_sum2, scratch = temps["d_sum2"], temps["d_merged"]
        norm2 = cache.norm2
        backward_rows(
            g,
            norm2.normalized,
            norm2.inv_std,
            self.norm2.weight,
            d_weight=results["norm2_w"],
            d_bias=results["norm2_b"],
            out=d_sum2,
            scratch=scratch,
        )
        d_ff = undrop(d_sum2, p, cache.keep2)
        lin1, lin2, d_h1 = ff_backward(
            self.linear1,
            self.linear2,
            self.activation,
            p,
            cache.ff,
            d_ff,
            temps=temps,
            results=results,
        )
        d_h1 += d_sum2
        norm1 = cache.norm1
        backward_rows(
            d_h1,
            norm1.normalized,
            norm1.inv_std,
            self.norm1.weight,
            d_weight=results["norm1_w"],
            d_bias=results["norm1_b"],
            out=d_h1,
            scratch=scratch,
        )
        d_attended = undrop(d_h1, p, cache.keep1).reshape(cache.shape)
        attn_grads, (grad_x,) = self.self_attn.backward_arrays(
            cache.attn, d_attended, temps=temps, results=results
        )
        grad_x += d_h1.reshape(grad_x.shape)
        norm_grads = [
            LayerNormGrads(weight=results[f"{name}_w"], bias=results[f"{name}_b"])
            for name in ("norm1", "norm2")
        ]
        grads = TransformerEncoderLayerGrads(attn_grads, lin1, lin2, *norm_grads)
        return grads, grad_x


# ---- decoder layer --------------------------------------------------------------------------


@dataclass(frozen=True)
class TransformerDecoderLayerGrads(GradRecord):
    """Gradients of ``TransformerDecoderLayer``, one field per sub-layer."""

    self_attn: MultiHeadAttentionGrads
    multihead_attn: MultiHeadAttentionGrads
    linear1: LinearGrads
    linear2: LinearGrads
    norm1: LayerNormGrads
    norm2: LayerNormGrads
    norm3: LayerNormGrads


@dataclass(frozen=True)
class TransformerDecoderLayerCache:
    """What ``TransformerDecoderLayer.backward`` needs."""

    shape: tuple[int, ...]
    self_attn: MultiHeadAttentionCache
    keep1: Array | None
    norm1: LayerNormCache
    cross_attn: MultiHeadAttentionCache
    keep2: Array | None
    norm2: LayerNormCache
    ff: FeedForwardCache
    keep3: Array | None
    norm3: LayerNormCache


@dataclass(frozen=True, init=False, eq=False)
class TransformerDecoderLayer(_Sizes, Layer, Generic[Embed, Heads, FF]):
    """Post-norm decoder layer (``nn.TransformerDecoderLayer(norm_first=False, batch_first=True)``).

    Shape rule: ``[*B, SeqLen, Embed], [*B, MemLen, Embed] -> [*B, SeqLen, Embed]``
    (target, memory); ``SeqLen > 0``, ``MemLen > 0``, ``Embed > 0``, ``Embed % Heads == 0``.
    """

    self_attn: MultiHeadAttention[Any, Any]
    multihead_attn: MultiHeadAttention[Any, Any]
    linear1: Linear[Any, Any]
    linear2: Linear[Any, Any]
    norm1: LayerNorm[Any]
    norm2: LayerNorm[Any]
    norm3: LayerNorm[Any]
    activation: ActivationName
    dropout: float

    if TYPE_CHECKING:
        # For checkers other than mypy, which widen literal sizes without a declared type in
        # sight (see Linear.__new__).
        def __new__(cls, *args: Any, **kwargs: Any) -> TransformerDecoderLayer[Any, Any, Any]: ...

    def __init__(
        self,
        embed_dim: Embed,
        num_heads: Heads,
        ff_dim: FF,
        *,
        activation: ActivationName = "relu",
        dropout: float = 0.0,
        layer_norm_eps: float = 1e-5,
        rng: Rng,
        dtype: Any = np.float32,
    ) -> None:
        _check_config(embed_dim, num_heads, ff_dim, dropout, activation)
        gen = as_generator(rng)
        self_attn = MultiHeadAttention(embed_dim, num_heads, dropout=dropout, rng=gen, dtype=dtype)
        cross = MultiHeadAttention(embed_dim, num_heads, dropout=dropout, rng=gen, dtype=dtype)
        linear1, linear2 = ff_layers(embed_dim, ff_dim, gen, dtype)
        object.__setattr__(self, "self_attn", self_attn)
        object.__setattr__(self, "multihead_attn", cross)
        object.__setattr__(self, "linear1", linear1)
        object.__setattr__(self, "linear2", linear2)
        for name in ("norm1", "norm2", "norm3"):
            object.__setattr__(self, name, LayerNorm(embed_dim, eps=layer_norm_eps, dtype=dtype))
        object.__setattr__(self, "activation", activation)
        object.__setattr__(self, "dropout", float(dropout))

    def forward(
        self,
        tgt: Tensor[*Batch, SeqLen, Embed],
        memory: Tensor[*Batch, MemLen, Embed],
        *,
        tgt_mask: Tensor[SeqLen, SeqLen] | None = None,
        tgt_causal: bool = False,
        tgt_key_padding_mask: Tensor[*Batch, SeqLen] | None = None,
        memory_mask: Tensor[SeqLen, MemLen] | None = None,
        memory_key_padding_mask: Tensor[*Batch, MemLen] | None = None,
        rng: np.random.Generator | None = None,
    ) -> tuple[Tensor[*Batch, SeqLen, Embed], TransformerDecoderLayerCache]:
        """Forward pass that also returns what ``backward`` needs; ``rng`` turns on dropout."""
        dtype = self.norm1.weight.dtype
        a = _check_sequence(self._name(), "tgt", tgt, self.embed_dim, dtype)
        m = _check_sequence(self._name(), "memory", memory, self.embed_dim, dtype)
        if m.shape[:-2] != a.shape[:-2]:
            raise ShapeError(
                f"{self._name()}: memory batch dims {list(m.shape[:-2])} differ from tgt's "
                f"{list(a.shape[:-2])}"
            )
        batch_shape, seq_len, mem_len = a.shape[:-2], a.shape[-2], m.shape[-2]
        self_blocked = blocked_mask(
            batch_shape,
            seq_len,
            seq_len,
            causal=tgt_causal,
            key_padding_mask=_mask_array(
                self._name(), "tgt_key_padding_mask", tgt_key_padding_mask
            ),
            attn_mask=_mask_array(self._name(), "tgt_mask", tgt_mask),
            where=f"{self._name()} (self-attention)",
        )
        cross_blocked = blocked_mask(
            batch_shape,
            seq_len,
            mem_len,
            key_padding_mask=_mask_array(
                self._name(), "memory_key_padding_mask", memory_key_padding_mask
            ),
            attn_mask=_mask_array(self._name(), "memory_mask", memory_mask),
            where=f"{self._name()} (cross-attention)",
        )
        p, e = self.dropout, self.embed_dim
        rows = a.reshape(-1, e)
        attended, self_cache = self.self_attn.forward_arrays("self", (a,), self_blocked, rng)
        attended_rows, keep1 = drop(attended.reshape(rows.shape), p, rng)
        h1, norm1_cache = self.norm1.forward_array(rows + attended_rows)
        crossed, cross_cache = self.multihead_attn.forward_arrays(
            "shared_kv", (h1.reshape(a.shape), m), cross_blocked, rng
        )
        crossed_rows, keep2 = drop(crossed.reshape(rows.shape), p, rng)
        h2, norm2_cache = self.norm2.forward_array(h1 + crossed_rows)
        ff_out, ff_cache = ff_forward(self.linear1, self.linear2, self.activation, p, h2, rng)
        ff_out, keep3 = drop(ff_out, p, rng)
        y, norm3_cache = self.norm3.forward_array(h2 + ff_out)
        cache = TransformerDecoderLayerCache(
            a.shape,
            self_cache,
            keep1,
            norm1_cache,
            cross_cache,
            keep2,
            norm2_cache,
            ff_cache,
            keep3,
            norm3_cache,
        )
        return Tensor(y.reshape(a.shape)), cache

    def __call__(
        self,
        tgt: Tensor[*Batch, SeqLen, Embed],
        memory: Tensor[*Batch, MemLen, Embed],
        *,
        tgt_mask: Tensor[SeqLen, SeqLen] | None = None,
        tgt_causal: bool = False,
        tgt_key_padding_mask: Tensor[*Batch, SeqLen] | None = None,
        memory_mask: Tensor[SeqLen, MemLen] | None = None,
        memory_key_padding_mask: Tensor[*Batch, MemLen] | None = None,
    ) -> Tensor[*Batch, SeqLen, Embed]:
        """Deterministic forward, ``[*B, SeqLen, E], [*B, MemLen, E] -> [*B, SeqLen, E]``."""
        y, _ = self.forward(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            tgt_causal=tgt_causal,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_mask=memory_mask,
            memory_key_padding_mask=memory_key_padding_mask,
        )
        return y

    def backward(
        self, cache: TransformerDecoderLayerCache, grad_y: Tensor[*Batch, SeqLen, Embed]
    ) -> tuple[
        TransformerDecoderLayerGrads,
        Tensor[*Batch, SeqLen, Embed],
        Tensor[*Batch, MemLen, Embed],
    ]:
        """Reverse pass: parameter gradients, ``dL/dtgt`` and ``dL/dmemory``."""
        g = array_of(f"{self._name()}.backward", "grad_y", grad_y)
        if g.shape != cache.shape:
            raise ShapeError(
                f"{self._name()}.backward: grad_y has shape {list(g.shape)}, expected "
                f"{list(cache.shape)}"
            )
        p, e = self.dropout, self.embed_dim
        norm3_grads, d_h3 = self.norm3.backward_array(cache.norm3, g.reshape(-1, e))
        d_ff = undrop(d_h3, p, cache.keep3)
        lin1, lin2, d_h2 = ff_backward(
            self.linear1, self.linear2, self.activation, p, cache.ff, d_ff
        )
        d_h2 += d_h3
        norm2_grads, d_sum2 = self.norm2.backward_array(cache.norm2, d_h2)
        d_crossed = undrop(d_sum2, p, cache.keep2).reshape(cache.shape)
        cross_grads, (d_h1_cross, d_memory) = self.multihead_attn.backward_arrays(
            cache.cross_attn, d_crossed
        )
        d_h1 = d_sum2 + d_h1_cross.reshape(-1, e)
        norm1_grads, d_sum1 = self.norm1.backward_array(cache.norm1, d_h1)
        d_attended = undrop(d_sum1, p, cache.keep1).reshape(cache.shape)
        self_grads, (d_x_attn,) = self.self_attn.backward_arrays(cache.self_attn, d_attended)
        grad_tgt = d_sum1.reshape(cache.shape) + d_x_attn
        grads = TransformerDecoderLayerGrads(
            self_grads, cross_grads, lin1, lin2, norm1_grads, norm2_grads, norm3_grads
        )
        return grads, Tensor(grad_tgt), Tensor(d_memory)
