"""``MultiHeadAttention[Embed, Heads]``: self- and cross-attention, PyTorch's parameter layout.

Layout, batch-first like ``nn.MultiheadAttention(batch_first=True)``: query ``[*B, Tq, Embed]``,
key and value ``[*B, Tk, Embed]``, output ``[*B, Tq, Embed]``. Parameters are those of
``nn.MultiheadAttention``: ``in_proj`` is one ``Linear[Embed, 3 * Embed]`` whose rows are the
query, key and value projections stacked (``in_proj_weight`` / ``in_proj_bias``), ``out_proj``
is ``Linear[Embed, Embed]``.

Calling conventions: ``mha(x)`` is self-attention (one fused input projection), ``mha(x, memory)``
is cross-attention with ``memory`` as key and value, ``mha(q, k, v)`` the general form. The
backward pass returns one input gradient per *argument given*: an omitted key or value has its
gradient folded into the argument it defaulted to, and so does a value that ``is`` the key
(``mha(q, memory, memory)`` is ``mha(q, memory)``). ``mha(x, x, x)`` returns three partial
gradients; their sum is ``dL/dx``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, TypeVarTuple

import numpy as np

from shapely_nn._shape import ShapeError
from shapely_nn._tensor import Tensor
from shapely_nn.guards import require_divisible, require_positive
from shapely_nn.layers._activations import wrap
from shapely_nn.layers._attention import AttentionCache, blocked_mask, sdpa_backward, sdpa_forward
from shapely_nn.layers._base import (
    Array,
    GradRecord,
    Layer,
    Rng,
    as_generator,
    require_float_dtype,
    uniform,
)
from shapely_nn.layers._linear import Linear, LinearGrads

Embed = TypeVar("Embed", bound=int)
Heads = TypeVar("Heads", bound=int)
Tq = TypeVar("Tq", bound=int)
Tk = TypeVar("Tk", bound=int)
Batch = TypeVarTuple("Batch")

Mode = Literal["self", "shared_kv", "separate"]


@dataclass(frozen=True)
class MultiHeadAttentionGrads(GradRecord):
    """Gradients of ``MultiHeadAttention``: ``in_proj`` and ``out_proj`` (``LinearGrads``)."""

    in_proj: LinearGrads
    out_proj: LinearGrads


@dataclass(frozen=True)
class MultiHeadAttentionCache:
    """What ``MultiHeadAttention.backward`` needs."""

    mode: Mode
    inputs: tuple[Array, ...]
    attention: AttentionCache
    merged: Array
    batch_shape: tuple[int, ...]
    input_shapes: tuple[tuple[int, ...], ...]


def _split_heads(a: Array, heads: int) -> Array:
    """``[N, T, E] -> [N, Heads, T, E / Heads]`` (a view)."""
    n, t, e = a.shape
    return a.reshape(n, t, heads, e // heads).swapaxes(1, 2)


def _merge_heads(a: Array) -> Array:
    """``[N, Heads, T, Dh] -> [N * T, Heads * Dh]`` (a copy, rows in token order)."""
    n, h, t, d = a.shape
    return a.swapaxes(1, 2).reshape(n * t, h * d)


@dataclass(frozen=True, init=False, eq=False)
class MultiHeadAttention(Layer, Generic[Embed, Heads]):
    """Multi-head scaled dot-product attention (``nn.MultiheadAttention``, batch-first).

    Shape rule: ``[*B, Tq, E], [*B, Tk, E], [*B, Tk, E] -> [*B, Tq, E]``, ``E % Heads == 0``.
    Masks: ``key_padding_mask`` bool ``[*B, Tk]``, ``attn_mask`` bool ``[Tq, Tk]``, ``causal``;
    ``True`` means blocked, as in PyTorch. ``dropout`` drops attention weights in training
    (``forward(..., rng=generator)``) only.
    """

    in_proj: Linear[Any, Any]
    out_proj: Linear[Any, Any]
    num_heads: int
    dropout: float

    def __init__(
        self,
        embed_dim: Embed,
        num_heads: Heads,
        *,
        dropout: float = 0.0,
        rng: Rng,
        dtype: Any = np.float32,
    ) -> None:
        require_positive(embed_dim=embed_dim, heads=num_heads)
        require_divisible("embed_dim", embed_dim, "heads", num_heads)
        gen = as_generator(rng)
        dt = require_float_dtype(dtype)
        # PyTorch: xavier_uniform_ on in_proj_weight [3E, E], zero biases, and out_proj's
        # weight keeps nn.Linear's default U(+-1/sqrt(E)).
        xavier = math.sqrt(6.0 / (embed_dim + 3 * embed_dim))
        in_weight = uniform(gen, xavier, (3 * embed_dim, embed_dim), dt)
        out_weight = uniform(gen, 1.0 / math.sqrt(embed_dim), (embed_dim, embed_dim), dt)
        object.__setattr__(
            self, "in_proj", Linear.from_arrays(in_weight, np.zeros(3 * embed_dim, dtype=dt))
        )
        object.__setattr__(
            self, "out_proj", Linear.from_arrays(out_weight, np.zeros(embed_dim, dtype=dt))
        )
        object.__setattr__(self, "num_heads", int(num_heads))
        object.__setattr__(self, "dropout", _check_dropout(dropout))

    @classmethod
    def from_arrays(
        cls,
        in_proj_weight: Array,
        in_proj_bias: Array,
        out_proj_weight: Array,
        out_proj_bias: Array,
        num_heads: int,
        *,
        dropout: float = 0.0,
    ) -> MultiHeadAttention[Any, Any]:
        """A layer with PyTorch's parameters (``in_proj_weight`` ``[3E, E]``, ...)."""
        embed_dim = out_proj_weight.shape[0]
        require_positive(heads=num_heads)
        require_divisible("embed_dim", embed_dim, "heads", num_heads)
        if in_proj_weight.shape != (3 * embed_dim, embed_dim):
            raise ShapeError(
                f"MultiHeadAttention: in_proj_weight must be [3E, E] = "
                f"{[3 * embed_dim, embed_dim]}, got {list(in_proj_weight.shape)}"
            )
        out: MultiHeadAttention[Any, Any] = object.__new__(cls)
        object.__setattr__(out, "in_proj", Linear.from_arrays(in_proj_weight, in_proj_bias))
        object.__setattr__(out, "out_proj", Linear.from_arrays(out_proj_weight, out_proj_bias))
        object.__setattr__(out, "num_heads", int(num_heads))
        object.__setattr__(out, "dropout", _check_dropout(dropout))
        return out

    @property
    def embed_dim(self) -> int:
        """``Embed``."""
        return self.out_proj.out_features

    @property
    def head_dim(self) -> int:
        """``Embed / Heads``."""
        return self.embed_dim // self.num_heads

    # ---- boundary checks -------------------------------------------------------------------
    def _name(self) -> str:
        return f"MultiHeadAttention[{self.embed_dim}, {self.num_heads}]"

    def _check(self, label: str, x: Tensor[*tuple[Any, ...]]) -> Array:
        a = x.numpy()
        if a.ndim < 2 or a.shape[-1] != self.embed_dim:
            got = f"rank {a.ndim}" if a.ndim < 2 else f"{a.shape[-1]} in {x.shape}"
            raise ShapeError(
                f"{self._name()} expects {label} [*B, T, Embed] with last dim (Embed) "
                f"{self.embed_dim}, got {got}"
            )
        if a.dtype != self.in_proj.weight.dtype:
            raise TypeError(
                f"{self._name()}: {label} dtype {a.dtype} differs from the parameters' "
                f"{self.in_proj.weight.dtype}"
            )
        require_positive(seq_len=a.shape[-2])
        return a

    def _check_inputs(
        self,
        query: Tensor[*tuple[Any, ...]],
        key: Tensor[*tuple[Any, ...]] | None,
        value: Tensor[*tuple[Any, ...]] | None,
    ) -> tuple[Mode, tuple[Array, ...]]:
        q = self._check("query", query)
        if key is None:
            if value is not None:
                raise TypeError(f"{self._name()}: value given without key")
            return "self", (q,)
        k = self._check("key", key)
        if k.shape[:-2] != q.shape[:-2]:
            raise ShapeError(
                f"{self._name()}: key batch dims {list(k.shape[:-2])} differ from query's "
                f"{list(q.shape[:-2])}"
            )
        if value is None or value is key:
            return "shared_kv", (q, k)
        v = self._check("value", value)
        if v.shape[:-1] != k.shape[:-1]:
            raise ShapeError(
                f"{self._name()}: value dims [*B, Tk] expected {list(k.shape[:-1])}, got "
                f"{list(v.shape[:-1])}"
            )
        return "separate", (q, k, v)

    # ---- projections -----------------------------------------------------------------------
    def _rows(self, start: int, stop: int) -> Linear[Any, Any]:
        e = self.embed_dim
        return Linear.from_arrays(
            self.in_proj.weight[start * e : stop * e], self.in_proj.bias[start * e : stop * e]
        )

    def _project(self, mode: Mode, flat: tuple[Array, ...]) -> tuple[Array, Array, Array]:
        e = self.embed_dim
        if mode == "self":
            qkv = self.in_proj.forward(wrap(flat[0]))[0].numpy()
            return qkv[:, :e], qkv[:, e : 2 * e], qkv[:, 2 * e :]
        q = self._rows(0, 1).forward(wrap(flat[0]))[0].numpy()
        if mode == "shared_kv":
            kv = self._rows(1, 3).forward(wrap(flat[1]))[0].numpy()
            return q, kv[:, :e], kv[:, e:]
        k = self._rows(1, 2).forward(wrap(flat[1]))[0].numpy()
        v = self._rows(2, 3).forward(wrap(flat[2]))[0].numpy()
        return q, k, v

    def _project_backward(
        self, mode: Mode, flat: tuple[Array, ...], dq: Array, dk: Array, dv: Array
    ) -> tuple[LinearGrads, list[Array]]:
        """Input-projection backward from per-head gradients ``[N, Heads, T, Dh]``."""
        if mode == "self":
            # merge the three head gradients straight into one [N * T, 3E] buffer (one copy)
            n, heads, t, dh = dq.shape
            stacked = np.empty((n, t, 3, heads, dh), dtype=dq.dtype)
            for i, d in enumerate((dq, dk, dv)):
                stacked[:, :, i] = d.swapaxes(1, 2)
            grads, dx = self.in_proj.backward(flat[0], wrap(stacked.reshape(n * t, -1)))
            return grads, [dx.numpy()]
        dq, dk, dv = _merge_heads(dq), _merge_heads(dk), _merge_heads(dv)
        parts: list[tuple[LinearGrads, Array]] = []
        if mode == "shared_kv":
            pairs = [
                (self._rows(0, 1), flat[0], dq),
                (self._rows(1, 3), flat[1], np.concatenate([dk, dv], 1)),
            ]
        else:
            pairs = [
                (self._rows(0, 1), flat[0], dq),
                (self._rows(1, 2), flat[1], dk),
                (self._rows(2, 3), flat[2], dv),
            ]
        for layer, x, g in pairs:
            grads, dx = layer.backward(x, wrap(g))
            parts.append((grads, dx.numpy()))
        weight = np.concatenate([p[0].weight for p in parts])
        bias = np.concatenate([p[0].bias for p in parts])
        return LinearGrads(weight=weight, bias=bias), [p[1] for p in parts]

    # ---- forward and backward ---------------------------------------------------------------
    def forward(
        self,
        query: Tensor[*Batch, Tq, Embed],
        key: Tensor[*Batch, Tk, Embed] | None = None,
        value: Tensor[*Batch, Tk, Embed] | None = None,
        *,
        key_padding_mask: Tensor[*Batch, Tk] | None = None,
        attn_mask: Tensor[Tq, Tk] | None = None,
        causal: bool = False,
        rng: np.random.Generator | None = None,
    ) -> tuple[Tensor[*Batch, Tq, Embed], MultiHeadAttentionCache]:
        """Forward pass that also returns what ``backward`` needs; ``rng`` turns on dropout."""
        mode, arrays = self._check_inputs(query, key, value)
        q_arr = arrays[0]
        batch_shape = q_arr.shape[:-2]
        key_len = arrays[-1].shape[-2]
        blocked = blocked_mask(
            batch_shape,
            q_arr.shape[-2],
            key_len,
            causal=causal,
            key_padding_mask=None if key_padding_mask is None else key_padding_mask.numpy(),
            attn_mask=None if attn_mask is None else attn_mask.numpy(),
            where=self._name(),
        )
        y, cache = self.forward_arrays(mode, arrays, blocked, rng)
        return Tensor(y), cache

    def forward_arrays(
        self,
        mode: Mode,
        arrays: tuple[Array, ...],
        blocked: Array | None,
        rng: np.random.Generator | None = None,
    ) -> tuple[Array, MultiHeadAttentionCache]:
        """Forward on checked arrays (``mode`` says which of query/key/value were given)."""
        batch_shape = arrays[0].shape[:-2]
        n = math.prod(batch_shape)
        seqs = tuple(a.reshape(n, a.shape[-2], self.embed_dim) for a in arrays)
        flat = tuple(s.reshape(-1, self.embed_dim) for s in seqs)
        q, k, v = self._project(mode, flat)
        tq, tk = seqs[0].shape[1], seqs[-1].shape[1]
        heads = self.num_heads
        if blocked is not None:  # [*B | 1.., 1, Tq | 1, Tk] -> [N | 1, 1, Tq | 1, Tk]
            blocked = blocked.reshape(math.prod(blocked.shape[:-3]), *blocked.shape[-3:])
        attended, attention = sdpa_forward(
            _split_heads(q.reshape(n, tq, -1), heads),
            _split_heads(k.reshape(n, tk, -1), heads),
            _split_heads(v.reshape(n, tk, -1), heads),
            blocked,
            dropout_p=self.dropout,
            rng=rng,
        )
        merged = _merge_heads(attended)
        y = self.out_proj.forward(wrap(merged))[0].numpy()
        cache = MultiHeadAttentionCache(
            mode, flat, attention, merged, batch_shape, tuple(a.shape for a in arrays)
        )
        return y.reshape(*batch_shape, tq, self.embed_dim), cache

    def __call__(
        self,
        query: Tensor[*Batch, Tq, Embed],
        key: Tensor[*Batch, Tk, Embed] | None = None,
        value: Tensor[*Batch, Tk, Embed] | None = None,
        *,
        key_padding_mask: Tensor[*Batch, Tk] | None = None,
        attn_mask: Tensor[Tq, Tk] | None = None,
        causal: bool = False,
    ) -> Tensor[*Batch, Tq, Embed]:
        """Attention output, ``[*B, Tq, E], [*B, Tk, E], [*B, Tk, E] -> [*B, Tq, E]``."""
        y, _ = self.forward(
            query,
            key,
            value,
            key_padding_mask=key_padding_mask,
            attn_mask=attn_mask,
            causal=causal,
        )
        return y

    def backward(
        self, cache: MultiHeadAttentionCache, grad_y: Tensor[*Batch, Tq, Embed]
    ) -> tuple[
        MultiHeadAttentionGrads,
        Tensor[*Batch, Tq, Embed],
        Tensor[*Batch, Tk, Embed] | None,
        Tensor[*Batch, Tk, Embed] | None,
    ]:
        """Reverse pass: ``(grads, dL/dquery, dL/dkey, dL/dvalue)``.

        ``dL/dkey`` / ``dL/dvalue`` are ``None`` when that argument was omitted (its gradient
        is then part of the one for the argument it defaulted to).
        """
        grads, inputs = self.backward_arrays(cache, grad_y.numpy())
        padded: list[Any] = [Tensor(g) for g in inputs] + [None] * (3 - len(inputs))
        return grads, padded[0], padded[1], padded[2]

    def backward_arrays(
        self, cache: MultiHeadAttentionCache, g: Array
    ) -> tuple[MultiHeadAttentionGrads, list[Array]]:
        """Reverse pass on arrays: grads and one input gradient per given argument."""
        tq = cache.attention.query.shape[-2]
        expected = (*cache.batch_shape, tq, self.embed_dim)
        if g.shape != expected:
            raise ShapeError(
                f"{self._name()}.backward: grad_y has shape {list(g.shape)}, expected "
                f"{list(expected)}"
            )
        out_grads, d_merged = self.out_proj.backward(
            cache.merged, wrap(g.reshape(-1, self.embed_dim))
        )
        n, heads, _, dh = cache.attention.query.shape
        d_attended = d_merged.numpy().reshape(n, tq, heads, dh).swapaxes(1, 2)
        dq, dk, dv = sdpa_backward(cache.attention, d_attended)
        in_grads, d_inputs = self._project_backward(cache.mode, cache.inputs, dq, dk, dv)
        shaped = [d.reshape(x) for d, x in zip(d_inputs, cache.input_shapes, strict=True)]
        return MultiHeadAttentionGrads(in_proj=in_grads, out_proj=out_grads), shaped


def _check_dropout(p: float) -> float:
    if not 0.0 <= p < 1.0:
        raise ValueError(f"MultiHeadAttention: dropout must be in [0, 1), got {p}")
    return float(p)
