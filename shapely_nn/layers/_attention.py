"""Attention: the seeds' encoder-output attention, and scaled dot-product attention with masks.

* ``compute_attention_weights`` / ``apply_attention`` and the ``EncoderAttention[Hidden]`` layer
  are the seeds' ``computeAttentionWeightsSpec`` / ``applyAttentionSpec``: one decoder state
  scores each of ``SeqLen`` encoder states by ``(W h) . enc_t``, the scores are softmax-normalised
  over ``SeqLen``, and the context is the weighted sum of the encoder states.
* ``ScaledDotProductAttention`` is ``softmax(q k^T / sqrt(d) + mask) v`` with an optional causal
  mask, key padding mask and boolean attention mask, in PyTorch's ``nn.MultiheadAttention``
  convention: **``True`` means blocked** (a padded key, a future position).

A query row whose every key is blocked gets all-zero weights, hence a zero output and zero
gradients (PyTorch returns NaN there).
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
from shapely_nn.layers._activations import NoGrads
from shapely_nn.layers._base import (
    Array,
    GradRecord,
    Layer,
    Rng,
    as_generator,
    require_float_dtype,
    uniform,
)
from shapely_nn.layers._dropout import draw_keep_mask, dropout_masked
from shapely_nn.layers._softmax import softmax_vjp, softmax_vjp_

Hidden = TypeVar("Hidden", bound=int)
SeqLen = TypeVar("SeqLen", bound=int)
Tq = TypeVar("Tq", bound=int)
Tk = TypeVar("Tk", bound=int)
Dk = TypeVar("Dk", bound=int)
Dv = TypeVar("Dv", bound=int)
Batch = TypeVarTuple("Batch")


# ---- the seeds' encoder-output attention --------------------------------------------------


def _check_seed_inputs(where: str, hidden: Array, encoder_outputs: Array) -> None:
    if encoder_outputs.ndim < 2 or hidden.ndim < 1:
        raise ShapeError(
            f"{where} expects decoder_hidden [*B, Hidden] and encoder_outputs "
            f"[*B, SeqLen, Hidden], got {list(hidden.shape)} and {list(encoder_outputs.shape)}"
        )
    if encoder_outputs.shape[:-2] != hidden.shape[:-1]:
        raise ShapeError(
            f"{where}: batch dims differ: decoder_hidden {list(hidden.shape[:-1])}, "
            f"encoder_outputs {list(encoder_outputs.shape[:-2])}"
        )
    if encoder_outputs.shape[-1] != hidden.shape[-1]:
        raise ShapeError(
            f"{where}: encoder_outputs last dim (Hidden) expected {hidden.shape[-1]}, "
            f"got {encoder_outputs.shape[-1]}"
        )
    require_positive(seq_len=encoder_outputs.shape[-2], hidden_dim=hidden.shape[-1])


def _require_floats(where: str, **arrays: Array) -> None:
    """``DTypeError`` naming the first argument that is not a float array."""
    for name, a in arrays.items():
        if a.dtype.kind != "f":
            raise DTypeError(f"{where}: {name} must be a float tensor, got dtype {a.dtype}")


def attention_scores(weight: Array, hidden: Array, encoder_outputs: Array) -> Array:
    """Unnormalised scores ``(W h) . enc_t``: ``[H, H], [*B, H], [*B, T, H] -> [*B, T]``."""
    projected = hidden @ weight.T
    out: Array = np.einsum("...th,...h->...t", encoder_outputs, projected)
    return out


def compute_attention_weights(
    weight: Tensor[Hidden, Hidden],
    decoder_hidden: Tensor[*Batch, Hidden],
    encoder_outputs: Tensor[*Batch, SeqLen, Hidden],
) -> Tensor[*Batch, SeqLen]:
    """The seeds' ``computeAttentionWeightsSpec``: softmax over ``SeqLen`` of ``(W h) . enc_t``.

    Shape rule: ``[H, H], [*B, H], [*B, SeqLen, H] -> [*B, SeqLen]``.
    """
    where = "compute_attention_weights"
    w = array_of(where, "weight", weight)
    h = array_of(where, "decoder_hidden", decoder_hidden)
    enc = array_of(where, "encoder_outputs", encoder_outputs)
    _require_floats(where, weight=w, decoder_hidden=h, encoder_outputs=enc)
    _check_seed_inputs("compute_attention_weights", h, enc)
    if w.shape != (h.shape[-1], h.shape[-1]):
        raise ShapeError(
            f"compute_attention_weights: weight expected [{h.shape[-1]}, {h.shape[-1]}], "
            f"got {list(w.shape)}"
        )
    return Tensor(_softmax(attention_scores(w, h, enc)))


def apply_attention(
    weights: Tensor[*Batch, SeqLen], encoder_outputs: Tensor[*Batch, SeqLen, Hidden]
) -> Tensor[*Batch, Hidden]:
    """The seeds' ``applyAttentionSpec``: context ``sum_t a_t enc_t``.

    Shape rule: ``[*B, SeqLen], [*B, SeqLen, H] -> [*B, H]``.
    """
    a = array_of("apply_attention", "weights", weights)
    enc = array_of("apply_attention", "encoder_outputs", encoder_outputs)
    _require_floats("apply_attention", weights=a, encoder_outputs=enc)
    if enc.ndim < 2 or a.shape != enc.shape[:-1]:
        raise ShapeError(
            f"apply_attention expects weights [*B, SeqLen] and encoder_outputs "
            f"[*B, SeqLen, Hidden] with the same [*B, SeqLen], got {list(a.shape)} and "
            f"{list(enc.shape)}"
        )
    require_positive(seq_len=enc.shape[-2], hidden_dim=enc.shape[-1])
    return Tensor(np.einsum("...t,...th->...h", a, enc))


def _softmax(scores: Array) -> Array:
    with np.errstate(under="ignore"):  # exp of far-below-max scores rounds to 0
        shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    out: Array = shifted / shifted.sum(axis=-1, keepdims=True)
    return out


@dataclass(frozen=True)
class EncoderAttentionGrads(GradRecord):
    """Gradient of ``EncoderAttention``: ``weight`` ``[Hidden, Hidden]``."""

    weight: Array


@dataclass(frozen=True)
class EncoderAttentionCache:
    """What ``EncoderAttention.backward`` needs."""

    hidden: Array
    encoder_outputs: Array
    projected: Array
    weights: Array


@dataclass(frozen=True, init=False, eq=False)
class EncoderAttention(Layer, Generic[Hidden]):
    """The seeds' attention over encoder outputs, with its projection ``W`` ``[Hidden, Hidden]``.

    ``(decoder_hidden [*B, H], encoder_outputs [*B, SeqLen, H]) -> (context [*B, H],
    weights [*B, SeqLen])``; ``weights = softmax_t((W h) . enc_t)``, ``context = sum_t a_t enc_t``.
    """

    weight: Array

    if TYPE_CHECKING:
        # For checkers other than mypy, which widen literal sizes without a declared type in
        # sight (see Linear.__new__).
        def __new__(cls, *args: Any, **kwargs: Any) -> EncoderAttention[Any]: ...

    def __init__(self, hidden_dim: Hidden, *, rng: Rng, dtype: Any = np.float32) -> None:
        require_size(hidden_dim=hidden_dim)
        bound = 1.0 / math.sqrt(hidden_dim)
        weight = uniform(
            as_generator(rng), bound, (hidden_dim, hidden_dim), require_float_dtype(dtype)
        )
        object.__setattr__(self, "weight", weight)

    @property
    def hidden_dim(self) -> int:
        """``Hidden``."""
        return int(self.weight.shape[0])

    def _check(
        self, decoder_hidden: Tensor[*tuple[Any, ...]], encoder_outputs: Tensor[*tuple[Any, ...]]
    ) -> tuple[Array, Array]:
        name = f"EncoderAttention[{self.hidden_dim}]"
        h = array_of(name, "decoder_hidden", decoder_hidden)
        enc = array_of(name, "encoder_outputs", encoder_outputs)
        if h.ndim == 0 or h.shape[-1] != self.hidden_dim:
            got = "a scalar" if h.ndim == 0 else f"{h.shape[-1]} in {decoder_hidden.shape}"
            raise ShapeError(
                f"{name} expects decoder_hidden last dim (Hidden) {self.hidden_dim}, got {got}"
            )
        _check_seed_inputs(name, h, enc)
        for label, a in (("decoder_hidden", h), ("encoder_outputs", enc)):
            if a.dtype != self.weight.dtype:
                raise DTypeError(
                    f"{name}: {label} dtype {a.dtype} differs from weight {self.weight.dtype}"
                )
        return h, enc

    def __call__(
        self,
        decoder_hidden: Tensor[*Batch, Hidden],
        encoder_outputs: Tensor[*Batch, SeqLen, Hidden],
    ) -> tuple[Tensor[*Batch, Hidden], Tensor[*Batch, SeqLen]]:
        """Context and weights: ``[*B, H], [*B, SeqLen, H] -> ([*B, H], [*B, SeqLen])``."""
        context, weights, _ = self._forward(decoder_hidden, encoder_outputs)
        return context, weights

    def forward(
        self,
        decoder_hidden: Tensor[*Batch, Hidden],
        encoder_outputs: Tensor[*Batch, SeqLen, Hidden],
    ) -> tuple[tuple[Tensor[*Batch, Hidden], Tensor[*Batch, SeqLen]], EncoderAttentionCache]:
        """Forward pass that also returns what ``backward`` needs."""
        context, weights, cache = self._forward(decoder_hidden, encoder_outputs)
        return (context, weights), cache

    def _forward(
        self, decoder_hidden: Tensor[*tuple[Any, ...]], encoder_outputs: Tensor[*tuple[Any, ...]]
    ) -> tuple[Any, Any, EncoderAttentionCache]:
        h, enc = self._check(decoder_hidden, encoder_outputs)
        projected = h @ self.weight.T
        # batched products rather than einsum: BLAS per batch entry, faster at every size here
        weights = _softmax(np.matmul(enc, projected[..., :, None])[..., 0])
        context = np.matmul(weights[..., None, :], enc)[..., 0, :]
        return Tensor(context), Tensor(weights), EncoderAttentionCache(h, enc, projected, weights)

    def backward(
        self,
        cache: EncoderAttentionCache,
        grad_context: Tensor[*Batch, Hidden],
        grad_weights: Tensor[*Batch, SeqLen] | None = None,
    ) -> tuple[EncoderAttentionGrads, Tensor[*Batch, Hidden], Tensor[*Batch, SeqLen, Hidden]]:
        """Reverse pass: ``dW``, ``dL/d decoder_hidden``, ``dL/d encoder_outputs``.

        ``grad_weights`` is the upstream gradient of the returned weights, if they were used.
        """
        g = array_of("EncoderAttention.backward", "grad_context", grad_context)
        if g.shape != cache.hidden.shape:
            raise ShapeError(
                f"EncoderAttention.backward: grad_context has shape {list(g.shape)}, expected "
                f"{list(cache.hidden.shape)}"
            )
        enc, a = cache.encoder_outputs, cache.weights
        grad_a = np.matmul(enc, g[..., :, None])[..., 0]
        if grad_weights is not None:
            extra = array_of("EncoderAttention.backward", "grad_weights", grad_weights)
            if extra.shape != a.shape:
                raise ShapeError(
                    f"EncoderAttention.backward: grad_weights has shape {list(extra.shape)}, "
                    f"expected {list(a.shape)}"
                )
            grad_a = grad_a + extra
        grad_scores = softmax_vjp(a, grad_a)
        grad_projected = np.matmul(grad_scores[..., None, :], enc)[..., 0, :]
        # dL/d enc_t = a_t g + (d scores)_t (W h): two outer products summed, as one product
        # [SeqLen, 2] @ [2, H] per batch entry (one pass over the largest array, not three)
        grad_enc = np.matmul(
            np.stack([a, grad_scores], axis=-1), np.stack([g, cache.projected], axis=-2)
        )
        h2 = cache.hidden.reshape(-1, self.hidden_dim)
        gp2 = grad_projected.reshape(-1, self.hidden_dim)
        grads = EncoderAttentionGrads(weight=gp2.T @ h2)
        return grads, Tensor(grad_projected @ self.weight), Tensor(grad_enc)


# ---- scaled dot-product attention ---------------------------------------------------------


def blocked_mask(
    batch_shape: tuple[int, ...],
    query_len: int,
    key_len: int,
    *,
    causal: bool = False,
    key_padding_mask: Array | None = None,
    attn_mask: Array | None = None,
    where: str = "attention",
) -> Array | None:
    """One boolean mask ``[*B, 1, Tq, Tk]`` (``True`` = blocked) from the three kinds, or ``None``.

    ``key_padding_mask`` is ``[*B, Tk]``, ``attn_mask`` is ``[Tq, Tk]``, ``causal`` blocks keys
    after the query's position (top-left aligned, as PyTorch's ``is_causal``). The extra axis
    of length 1 broadcasts over heads.
    """
    blocked: Array | None = None
    if causal:
        blocked = np.triu(np.ones((query_len, key_len), dtype=bool), k=1)
    if attn_mask is not None:
        if attn_mask.dtype != np.bool_ or attn_mask.shape != (query_len, key_len):
            raise ShapeError(
                f"{where}: attn_mask must be a bool [Tq, Tk] = {[query_len, key_len]}, got "
                f"{attn_mask.dtype} {list(attn_mask.shape)}"
            )
        blocked = attn_mask if blocked is None else blocked | attn_mask
    if key_padding_mask is not None:
        if key_padding_mask.dtype != np.bool_ or key_padding_mask.shape != (
            *batch_shape,
            key_len,
        ):
            raise ShapeError(
                f"{where}: key_padding_mask must be a bool [*B, Tk] = "
                f"{[*batch_shape, key_len]}, got {key_padding_mask.dtype} "
                f"{list(key_padding_mask.shape)}"
            )
        padding = key_padding_mask[..., None, None, :]
        blocked = padding if blocked is None else blocked | padding
    if blocked is None:
        return None
    return _with_head_axis(blocked, len(batch_shape))


def _with_head_axis(blocked: Array, batch_ndim: int) -> Array:
    """Give a ``[Tq, Tk]`` mask the shape ``[1]*batch + [1, Tq, Tk]`` so it broadcasts."""
    if blocked.ndim == 2:
        return blocked.reshape((1,) * (batch_ndim + 1) + blocked.shape)
    return blocked


@dataclass(frozen=True)
class AttentionCache:
    """What ``sdpa_backward`` needs (arrays in the ``[..., T, D]`` layout of the call)."""

    query: Array
    key: Array
    value: Array
    weights: Array
    dropped: Array
    keep: Array | None
    keep_p: float
    scale: float


def sdpa_forward(
    query: Array,
    key: Array,
    value: Array,
    blocked: Array | None = None,
    *,
    dropout_p: float = 0.0,
    rng: np.random.Generator | None = None,
    out: Array | None = None,
    scores: Array | None = None,
) -> tuple[Array, AttentionCache]:
    """``softmax(q k^T / sqrt(d), blocked -> 0) v`` on arrays; ``[..., Tq, D] -> [..., Tq, Dv]``.

    ``blocked`` broadcasts to ``[..., Tq, Tk]``. With ``rng`` and ``dropout_p > 0`` the weights
    are dropped out (inverted scaling), as ``nn.MultiheadAttention`` does in training.
    ``out`` (``[..., Tq, Dv]``, may be a strided view such as heads inside merged rows) and
    ``scores`` (contiguous ``[..., Tq, Tk]``, becomes the weights) are optional work arrays.
    """
    scale = 1.0 / math.sqrt(query.shape[-1])
    if scores is None:
        scores = query @ key.swapaxes(-1, -2)
    else:
        np.matmul(query, key.swapaxes(-1, -2), out=scores)
    softmax_scaled_(scores, scale, blocked)
    weights = scores
    keep: Array | None = None
    dropped = weights
    if rng is not None and dropout_p > 0.0:
        keep = draw_keep_mask(rng, dropout_p, weights.shape)
        dropped = dropout_masked(dropout_p, keep, weights)
    if out is None:
        out = dropped @ value
    else:
        np.matmul(dropped, value, out=out)
    return out, AttentionCache(query, key, value, weights, dropped, keep, dropout_p, scale)


def softmax_scaled_(scores: Array, scale: float, blocked: Array | None) -> None:
    """In place: ``scores <- softmax(scores * scale)`` over the last axis, blocked -> 0.

    A fully blocked row gets all-zero weights (not nan). ``scores`` must be C-contiguous.
    """
    if not scores.flags.c_contiguous:
        raise ValueError("softmax_scaled_ works in place on a C-contiguous array")
    if blocked is None and scores.size:
        scale_array = np.full(1, scale, dtype=scores.dtype)  # the rows' dtype, not float64
        rows = scores.reshape(-1, scores.shape[-1])
        if _fast.run_compiled("softmax_rows", rows, scale_array):
            return
    scores *= scores.dtype.type(scale)
    if blocked is not None:
        # an additive 0 / -inf mask: np.copyto(..., where=) is an order of magnitude slower
        scores += np.where(blocked, scores.dtype.type(-np.inf), scores.dtype.type(0))
    peak = scores.max(axis=-1, keepdims=True)
    if blocked is not None:
        peak[~np.isfinite(peak)] = 0  # a fully blocked row: keep exp(-inf) = 0, not nan
    with np.errstate(under="ignore"):
        np.subtract(scores, peak, out=scores)
        np.exp(scores, out=scores)
    rows = scores.reshape(-1, scores.shape[-1])
    # row sums through BLAS (a product with a ones vector): add.reduce is slow on short rows
    total = np.matmul(rows, np.ones(rows.shape[1], dtype=scores.dtype))
    if blocked is not None:
        total[total == 0] = 1
    np.reciprocal(total, out=total)
    rows *= total[:, None]


def sdpa_backward(
    cache: AttentionCache,
    grad_out: Array,
    *,
    out: tuple[Array, Array, Array] | None = None,
    scratch: Array | None = None,
) -> tuple[Array, Array, Array]:
    """Reverse pass of ``sdpa_forward``: ``(dL/dq, dL/dk, dL/dv)``.

    ``out`` are arrays (views allowed) for the three gradients, ``scratch`` a contiguous
    ``[..., Tq, Tk]`` array for the gradient of the weights.
    """
    if out is None:
        grad_value = cache.dropped.swapaxes(-1, -2) @ grad_out
    else:
        grad_value = np.matmul(cache.dropped.swapaxes(-1, -2), grad_out, out=out[2])
    if scratch is None:
        grad_weights = grad_out @ cache.value.swapaxes(-1, -2)
    else:
        grad_weights = np.matmul(grad_out, cache.value.swapaxes(-1, -2), out=scratch)
    if cache.keep is not None:
        grad_weights = dropout_masked(cache.keep_p, cache.keep, grad_weights)
    grad_scores = softmax_vjp_(cache.weights, grad_weights)
    grad_scores *= grad_scores.dtype.type(cache.scale)
    if out is None:
        grad_query = grad_scores @ cache.key
        grad_key = grad_scores.swapaxes(-1, -2) @ cache.query
    else:
        grad_query = np.matmul(grad_scores, cache.key, out=out[0])
        grad_key = np.matmul(grad_scores.swapaxes(-1, -2), cache.query, out=out[1])
    return grad_query, grad_key, grad_value


def _check_qkv(query: Array, key: Array, value: Array) -> None:
    where = "ScaledDotProductAttention"
    if query.ndim < 2 or key.ndim != query.ndim or value.ndim != query.ndim:
        raise ShapeError(
            f"{where} expects query [*B, Tq, Dk], key [*B, Tk, Dk], value [*B, Tk, Dv] of one "
            f"rank >= 2, got {list(query.shape)}, {list(key.shape)}, {list(value.shape)}"
        )
    if key.shape[:-2] != query.shape[:-2] or value.shape[:-2] != query.shape[:-2]:
        raise ShapeError(
            f"{where}: batch dims differ: query {list(query.shape[:-2])}, key "
            f"{list(key.shape[:-2])}, value {list(value.shape[:-2])}"
        )
    if key.shape[-1] != query.shape[-1]:
        raise ShapeError(
            f"{where}: key last dim (Dk) expected {query.shape[-1]}, got {key.shape[-1]}"
        )
    if value.shape[-2] != key.shape[-2]:
        raise ShapeError(
            f"{where}: value dim -2 (Tk) expected {key.shape[-2]}, got {value.shape[-2]}"
        )
    require_positive(query_len=query.shape[-2], key_len=key.shape[-2])
    if query.dtype not in (np.float32, np.float64) or not (query.dtype == key.dtype == value.dtype):
        raise DTypeError(
            f"{where}: query, key and value must share one float dtype, got {query.dtype}, "
            f"{key.dtype}, {value.dtype}"
        )


@dataclass(frozen=True, eq=False)
class ScaledDotProductAttention(Layer):
    """``softmax(q k^T / sqrt(Dk)) v`` with optional masks; no parameters.

    Shape rule: ``[*B, Tq, Dk], [*B, Tk, Dk], [*B, Tk, Dv] -> [*B, Tq, Dv]``; masks
    ``key_padding_mask`` bool ``[*B, Tk]`` and ``attn_mask`` bool ``[Tq, Tk]``, ``True`` = blocked.
    """

    def _prepare(
        self,
        query: Tensor[*tuple[Any, ...]],
        key: Tensor[*tuple[Any, ...]],
        value: Tensor[*tuple[Any, ...]],
        causal: bool,
        key_padding_mask: Tensor[*tuple[Any, ...]] | None,
        attn_mask: Tensor[*tuple[Any, ...]] | None,
    ) -> tuple[Array, Array, Array, Array | None]:
        where = "ScaledDotProductAttention"
        q, k = array_of(where, "query", query), array_of(where, "key", key)
        v = array_of(where, "value", value)
        _check_qkv(q, k, v)
        blocked = blocked_mask(
            q.shape[:-2],
            q.shape[-2],
            k.shape[-2],
            causal=causal,
            key_padding_mask=optional_array_of(where, "key_padding_mask", key_padding_mask),
            attn_mask=optional_array_of(where, "attn_mask", attn_mask),
            where=where,
        )
        if blocked is not None:  # no head axis here: drop the one blocked_mask adds
            blocked = blocked.reshape(blocked.shape[:-3] + blocked.shape[-2:])
        return q, k, v, blocked

    def __call__(
        self,
        query: Tensor[*Batch, Tq, Dk],
        key: Tensor[*Batch, Tk, Dk],
        value: Tensor[*Batch, Tk, Dv],
        *,
        causal: bool = False,
        key_padding_mask: Tensor[*Batch, Tk] | None = None,
        attn_mask: Tensor[Tq, Tk] | None = None,
    ) -> Tensor[*Batch, Tq, Dv]:
        """Attention output, ``[*B, Tq, Dk], [*B, Tk, Dk], [*B, Tk, Dv] -> [*B, Tq, Dv]``."""
        out, _ = self.forward(
            query,
            key,
            value,
            causal=causal,
            key_padding_mask=key_padding_mask,
            attn_mask=attn_mask,
        )
        return out

    def forward(
        self,
        query: Tensor[*Batch, Tq, Dk],
        key: Tensor[*Batch, Tk, Dk],
        value: Tensor[*Batch, Tk, Dv],
        *,
        causal: bool = False,
        key_padding_mask: Tensor[*Batch, Tk] | None = None,
        attn_mask: Tensor[Tq, Tk] | None = None,
    ) -> tuple[Tensor[*Batch, Tq, Dv], AttentionCache]:
        """Forward pass that also returns what ``backward`` needs (weights in the cache)."""
        q, k, v, blocked = self._prepare(query, key, value, causal, key_padding_mask, attn_mask)
        out, cache = sdpa_forward(q, k, v, blocked)
        return Tensor(out), cache

    def backward(
        self, cache: AttentionCache, grad_out: Tensor[*Batch, Tq, Dv]
    ) -> tuple[NoGrads, Tensor[*Batch, Tq, Dk], Tensor[*Batch, Tk, Dk], Tensor[*Batch, Tk, Dv]]:
        """Reverse pass: ``(NoGrads(), dL/dq, dL/dk, dL/dv)``."""
        g = array_of("ScaledDotProductAttention.backward", "grad_out", grad_out)
        expected = (*cache.query.shape[:-1], cache.value.shape[-1])
        if g.shape != expected:
            raise ShapeError(
                f"ScaledDotProductAttention.backward: grad_out has shape {list(g.shape)}, "
                f"expected {list(expected)}"
            )
        dq, dk, dv = sdpa_backward(cache, g)
        return NoGrads(), Tensor(dq), Tensor(dk), Tensor(dv)

    @property
    def dtype(self) -> np.dtype[Any]:
        """No parameters, hence no dtype."""
        raise AttributeError("ScaledDotProductAttention has no parameters, hence no dtype")


def scaled_dot_product_attention(
    query: Tensor[*Batch, Tq, Dk],
    key: Tensor[*Batch, Tk, Dk],
    value: Tensor[*Batch, Tk, Dv],
    *,
    causal: bool = False,
    key_padding_mask: Tensor[*Batch, Tk] | None = None,
    attn_mask: Tensor[Tq, Tk] | None = None,
) -> Tensor[*Batch, Tq, Dv]:
    """``softmax(q k^T / sqrt(Dk)) v`` with masks (``True`` = blocked).

    Shape rule: ``[*B, Tq, Dk], [*B, Tk, Dk], [*B, Tk, Dv] -> [*B, Tq, Dv]``.
    """
    return ScaledDotProductAttention()(
        query, key, value, causal=causal, key_padding_mask=key_padding_mask, attn_mask=attn_mask
    )
