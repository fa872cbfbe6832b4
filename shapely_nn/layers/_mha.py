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
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, TypeVarTuple

import numpy as np

from shapely_nn._shape import ShapeError
from shapely_nn._tensor import DTypeError, Tensor, array_of, optional_array_of
from shapely_nn.guards import (
    GuardError,
    require_divisible,
    require_positive,
    require_rate,
    require_size,
)
from shapely_nn.layers import _fast
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
from shapely_nn.layers._workspace import Shape, carve_named, column_sums

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


def _heads(rows: Array, n: int, t: int, heads: int, part: int, parts: int) -> Array:
    """Column block ``part`` of ``parts`` of rows ``[n * t, parts * E]`` as per-head matrices
    ``[n, heads, t, E / heads]``: a strided view, which BLAS reads and writes in place (row
    stride ``parts * E``), so splitting and merging heads never copies."""
    embed = rows.shape[1] // parts
    return rows.reshape(n, t, parts, heads, embed // heads)[:, :, part].swapaxes(1, 2)


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

    if TYPE_CHECKING:
        # For checkers other than mypy, which widen literal sizes without a declared type in
        # sight (see Linear.__new__).
        def __new__(cls, *args: Any, **kwargs: Any) -> MultiHeadAttention[Any, Any]: ...

    def __init__(
        self,
        embed_dim: Embed,
        num_heads: Heads,
        *,
        dropout: float = 0.0,
        rng: Rng,
        dtype: Any = np.float32,
    ) -> None:
        require_size(embed_dim=embed_dim, heads=num_heads)
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
        object.__setattr__(self, "dropout", check_dropout(dropout))

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
        require_size(heads=num_heads)
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
        object.__setattr__(out, "dropout", check_dropout(dropout))
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
        a = array_of(self._name(), label, x)
        if a.ndim < 2 or a.shape[-1] != self.embed_dim:
            got = f"rank {a.ndim}" if a.ndim < 2 else f"{a.shape[-1]} in {x.shape}"
            raise ShapeError(
                f"{self._name()} expects {label} [*B, T, Embed] with last dim (Embed) "
                f"{self.embed_dim}, got {got}"
            )
        if a.dtype != self.in_proj.weight.dtype:
            raise DTypeError(
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

    # ---- work arrays ------------------------------------------------------------------------
    def forward_work(self, mode: Mode, n: int, tq: int, tk: int) -> dict[str, Shape]:
        """Shapes of the forward's work arrays (kept in the cache) for ``n`` sequences.

        Self-attention projects into one ``[n * T, 3E]`` array; otherwise the queries go to
        ``[n * Tq, E]`` and the keys and values side by side into ``[n * Tk, 2E]``.
        """
        e = self.embed_dim
        proj = (
            {"qkv": (n * tq, 3 * e)}
            if mode == "self"
            else {"q": (n * tq, e), "kv": (n * tk, 2 * e)}
        )
        return proj | {"weights": (n, self.num_heads, tq, tk), "merged": (n * tq, e)}

    def backward_work(
        self, mode: Mode, n: int, tq: int, tk: int
    ) -> tuple[dict[str, Shape], dict[str, Shape]]:
        """Shapes of the backward's temporaries, and of its results (grads, input grads)."""
        e = self.embed_dim
        temps = {"d_merged": (n * tq, e), "d_weights": (n, self.num_heads, tq, tk)}
        if mode == "self":
            temps["d_qkv"] = (n * tq, 3 * e)
        else:
            temps |= {"d_q": (n * tq, e), "d_kv": (n * tk, 2 * e)}
        results = {"in_weight": (3 * e, e), "in_bias": (3 * e,), "out_weight": (e, e)}
        results |= {"out_bias": (e,), "d_input0": (n * tq, e)}
        results |= {
            f"d_input{i}": (n * tk, e)
            for i in range(1, {"self": 1, "shared_kv": 2, "separate": 3}[mode])
        }
        return temps, results

    def _project(
        self, mode: Mode, flat: tuple[Array, ...], work: dict[str, Array], *, bias: bool = True
    ) -> None:
        """The input projections into the work arrays (bias added in place, if ``bias``)."""
        e, w, b = self.embed_dim, self.in_proj.weight, self.in_proj.bias
        if mode == "self":
            np.matmul(flat[0], w.T, out=work["qkv"])
            if bias:
                work["qkv"] += b
            return
        np.matmul(flat[0], w[:e].T, out=work["q"])
        kv = work["kv"]
        if mode == "shared_kv":
            np.matmul(flat[1], w[e:].T, out=kv)
        else:
            np.matmul(flat[1], w[e : 2 * e].T, out=kv[:, :e])
            np.matmul(flat[2], w[2 * e :].T, out=kv[:, e:])
        if bias:
            work["q"] += b[:e]
            kv += b[e:]

    def _head_views(
        self, mode: Mode, n: int, tq: int, tk: int, arrays: dict[str, Array], prefix: str = ""
    ) -> tuple[Array, Array, Array]:
        """Per-head views of queries, keys and values (or of their gradients, ``prefix="d_"``)."""
        h = self.num_heads
        if mode == "self":
            qkv = arrays[prefix + "qkv"]
            return (
                _heads(qkv, n, tq, h, 0, 3),
                _heads(qkv, n, tq, h, 1, 3),
                _heads(qkv, n, tq, h, 2, 3),
            )
        kv = arrays[prefix + "kv"]
        return (
            _heads(arrays[prefix + "q"], n, tq, h, 0, 1),
            _heads(kv, n, tk, h, 0, 2),
            _heads(kv, n, tk, h, 1, 2),
        )

    def _project_backward(
        self, mode: Mode, flat: tuple[Array, ...], temps: dict[str, Array], res: dict[str, Array]
    ) -> None:
        """Input-projection backward from the projection gradients into the results."""
        e, w = self.embed_dim, self.in_proj.weight
        d_weight, d_bias = res["in_weight"], res["in_bias"]
        if mode == "self":
            d_qkv = temps["d_qkv"]
            np.matmul(d_qkv.T, flat[0], out=d_weight)
            column_sums(d_qkv, d_bias)
            np.matmul(d_qkv, w, out=res["d_input0"])
            return
        d_q, d_kv = temps["d_q"], temps["d_kv"]
        np.matmul(d_q.T, flat[0], out=d_weight[:e])
        column_sums(d_q, d_bias[:e])
        column_sums(d_kv, d_bias[e:])
        np.matmul(d_q, w[:e], out=res["d_input0"])
        if mode == "shared_kv":
            np.matmul(d_kv.T, flat[1], out=d_weight[e:])
            np.matmul(d_kv, w[e:], out=res["d_input1"])
            return
        np.matmul(d_kv[:, :e].T, flat[1], out=d_weight[e : 2 * e])
        np.matmul(d_kv[:, e:].T, flat[2], out=d_weight[2 * e :])
        np.matmul(d_kv[:, :e], w[e : 2 * e], out=res["d_input1"])
        np.matmul(d_kv[:, e:], w[2 * e :], out=res["d_input2"])

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
        mode, arrays, blocked = self._prepare(
            query, key, value, key_padding_mask, attn_mask, causal
        )
        y, cache = self.forward_arrays(mode, arrays, blocked, rng)
        return Tensor(y), cache

    def _prepare(
        self,
        query: Tensor[*tuple[Any, ...]],
        key: Tensor[*tuple[Any, ...]] | None,
        value: Tensor[*tuple[Any, ...]] | None,
        key_padding_mask: Tensor[*tuple[Any, ...]] | None,
        attn_mask: Tensor[*tuple[Any, ...]] | None,
        causal: bool,
    ) -> tuple[Mode, tuple[Array, ...], Array | None]:
        """The boundary checks of a call: mode, checked arrays and the blocked mask (or None)."""
        mode, arrays = self._check_inputs(query, key, value)
        q_arr = arrays[0]
        blocked = blocked_mask(
            q_arr.shape[:-2],
            q_arr.shape[-2],
            arrays[-1].shape[-2],
            causal=causal,
            key_padding_mask=optional_array_of(self._name(), "key_padding_mask", key_padding_mask),
            attn_mask=optional_array_of(self._name(), "attn_mask", attn_mask),
            where=self._name(),
        )
        return mode, arrays, blocked

    def forward_arrays(
        self,
        mode: Mode,
        arrays: tuple[Array, ...],
        blocked: Array | None,
        rng: np.random.Generator | None = None,
        *,
        work: dict[str, Array] | None = None,
        out: Array | None = None,
    ) -> tuple[Array, MultiHeadAttentionCache]:
        """Forward on checked arrays (``mode`` says which of query/key/value were given).

        ``work`` holds arrays of the shapes ``forward_work`` names (carved here when not given)
        and ``out`` the output rows ``[N * Tq, E]``.
        """
        batch_shape = arrays[0].shape[:-2]
        n = math.prod(batch_shape)
        e = self.embed_dim
        tq, tk = arrays[0].shape[-2], arrays[-1].shape[-2]
        flat = tuple(a.reshape(-1, e) for a in arrays)
        if work is None:
            work = carve_named(flat[0].dtype, self.forward_work(mode, n, tq, tk))
        if out is None:  # its own array: a view would keep the whole work block alive
            out = np.empty((n * tq, e), dtype=flat[0].dtype)
        self._project(mode, flat, work)
        if blocked is not None:  # [*B | 1.., 1, Tq | 1, Tk] -> [N | 1, 1, Tq | 1, Tk]
            blocked = blocked.reshape(math.prod(blocked.shape[:-3]), *blocked.shape[-3:])
        q, k, v = self._head_views(mode, n, tq, tk, work)
        merged = work["merged"]
        _, attention = sdpa_forward(
            q,
            k,
            v,
            blocked,
            dropout_p=self.dropout,
            rng=rng,
            out=_heads(merged, n, tq, self.num_heads, 0, 1),
            scores=work["weights"],
        )
        np.matmul(merged, self.out_proj.weight.T, out=out)
        out += self.out_proj.bias
        cache = MultiHeadAttentionCache(
            mode, flat, attention, merged, batch_shape, tuple(a.shape for a in arrays)
        )
        return out.reshape(*batch_shape, tq, e), cache

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
        mode, arrays, blocked = self._prepare(
            query, key, value, key_padding_mask, attn_mask, causal
        )
        return Tensor(self.call_arrays(mode, arrays, blocked))

    def call_arrays(self, mode: Mode, arrays: tuple[Array, ...], blocked: Array | None) -> Array:
        """Inference on checked arrays (no cache): the compiled kernels when unmasked."""
        if blocked is None:
            y = _fast.try_compiled(lambda fast: self._call_compiled(fast, mode, arrays))
            if y is not None:
                return y
        return self.forward_arrays(mode, arrays, blocked)[0]

    def _call_compiled(self, fast: Any, mode: Mode, arrays: tuple[Array, ...]) -> Array | None:
        if not fast.HAS_BLAS:
            return None
        batch_shape, e = arrays[0].shape[:-2], self.embed_dim
        n = math.prod(batch_shape)
        tq, tk = arrays[0].shape[-2], arrays[-1].shape[-2]
        flat = tuple(a.reshape(-1, e) for a in arrays)
        work = carve_named(flat[0].dtype, self.call_work(mode, n, tq, tk))
        out_bias = self.attend_compiled(fast, mode, flat, tq, tk, work)
        out = np.empty((n * tq, e), dtype=flat[0].dtype)
        np.matmul(work["merged"], self.out_proj.weight.T, out=out)
        out += out_bias
        return out.reshape(*batch_shape, tq, e)

    def call_work(self, mode: Mode, n: int, tq: int, tk: int) -> dict[str, Shape]:
        """Shapes of the inference path's work arrays (``attend_compiled``)."""
        shapes = self.forward_work(mode, n, tq, tk)
        del shapes["weights"]  # one sequence's and head's scores at a time
        return shapes

    def attend_compiled(
        self,
        fast: Any,
        mode: Mode,
        flat: tuple[Array, ...],
        tq: int,
        tk: int,
        work: dict[str, Array],
    ) -> Array:
        """Inference on rows ``[N * T, E]``: the heads' outputs into ``work["merged"]`` (before
        ``out_proj``), by the compiled kernels; returns the bias ``out_proj`` must add.

        Of the input projection's bias only the queries' part is added: the keys' adds
        ``q . b_k`` to every score of a query, which the softmax ignores, and the values' adds
        ``b_v`` to every head's output (unmasked weights sum to 1), so it is folded into the
        returned bias, ``W_out b_v + b_out``. Two passes fewer over the projections.
        """
        e, b = self.embed_dim, self.in_proj.bias
        self._project(mode, flat, work, bias=False)
        if mode == "self":
            q = k = v = work["qkv"]
            k_col, v_col = e, 2 * e
        else:
            q, k, v = work["q"], work["kv"], work["kv"]
            k_col, v_col = 0, e
        q[:, :e] += b[:e]
        dtype = q.dtype
        scale = np.full(1, 1.0 / math.sqrt(self.head_dim), dtype=dtype)
        heads, merged = self.num_heads, work["merged"]
        fast.attention_heads(q, 0, k, k_col, v, v_col, heads, scale, merged, tq, tk)
        out_bias: Array = self.out_proj.weight @ b[2 * e :] + self.out_proj.bias
        return out_bias

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
        grads, inputs = self.backward_arrays(
            cache, array_of(f"{self._name()}.backward", "grad_y", grad_y)
        )
        padded: list[Any] = [Tensor(g) for g in inputs] + [None] * (3 - len(inputs))
        return grads, padded[0], padded[1], padded[2]

    def backward_arrays(
        self,
        cache: MultiHeadAttentionCache,
        g: Array,
        *,
        temps: dict[str, Array] | None = None,
        results: dict[str, Array] | None = None,
    ) -> tuple[MultiHeadAttentionGrads, list[Array]]:
        """Reverse pass on arrays: grads and one input gradient per given argument.

        ``temps`` and ``results`` hold arrays of the shapes ``backward_work`` names (carved
        here when not given; the results apart, so they do not keep the temporaries alive).
        """
        n, heads, tq, _ = cache.attention.query.shape
        tk = cache.attention.key.shape[-2]
        e = self.embed_dim
        expected = (*cache.batch_shape, tq, e)
        if g.shape != expected:
            raise ShapeError(
                f"{self._name()}.backward: grad_y has shape {list(g.shape)}, expected "
                f"{list(expected)}"
            )
        temp_shapes, result_shapes = self.backward_work(cache.mode, n, tq, tk)
        temps = temps or carve_named(g.dtype, temp_shapes)
        results = results or carve_named(g.dtype, result_shapes)
        g_rows = g.reshape(-1, e)
        d_merged = temps["d_merged"]
        np.matmul(g_rows.T, cache.merged, out=results["out_weight"])
        column_sums(g_rows, results["out_bias"])
        np.matmul(g_rows, self.out_proj.weight, out=d_merged)
        sdpa_backward(
            cache.attention,
            _heads(d_merged, n, tq, heads, 0, 1),
            out=self._head_views(cache.mode, n, tq, tk, temps, "d_"),
            scratch=temps["d_weights"],
        )
        self._project_backward(cache.mode, cache.inputs, temps, results)
        grads = MultiHeadAttentionGrads(
            in_proj=LinearGrads(weight=results["in_weight"], bias=results["in_bias"]),
            out_proj=LinearGrads(weight=results["out_weight"], bias=results["out_bias"]),
        )
        shaped = [
            results[f"d_input{i}"].reshape(shape) for i, shape in enumerate(cache.input_shapes)
        ]
        return grads, shaped


def check_dropout(p: float) -> float:
    """``p`` as a float if it is a rate in ``[0, 1)``, else ``TypeError``/``GuardError``."""
    require_rate(dropout=p)
    if p == 1.0:  # a rate of 1 would drop every attention weight (PyTorch refuses it too)
        raise GuardError(f"0 <= dropout < 1 does not hold: dropout = {p}")
    return float(p)
