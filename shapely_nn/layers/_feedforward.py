"""The transformer layers' feed-forward block and residual dropout, on ``[N, Embed]`` rows.

``linear2(dropout(act(linear1(x))))`` with explicit work arrays: the transformer layers carve
them together with their other work arrays (see ``_workspace``), a lone call carves its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from shapely_nn.layers._activations import ActivationName, activation_vjp, apply_activation
from shapely_nn.layers._base import Array
from shapely_nn.layers._dropout import draw_keep_mask, dropout_masked
from shapely_nn.layers._linear import Linear, LinearGrads
from shapely_nn.layers._workspace import Shape, carve_named, column_sums


def drop(a: Array, p: float, rng: np.random.Generator | None) -> tuple[Array, Array | None]:
    """Dropout of a residual branch in training (``rng`` given), else ``a`` itself; and the mask."""
    if rng is None or p == 0.0:
        return a, None
    keep = draw_keep_mask(rng, p, a.shape)
    return dropout_masked(p, keep, a), keep


def undrop(g: Array, p: float, keep: Array | None) -> Array:
    """Reverse of ``drop``."""
    return g if keep is None else dropout_masked(p, keep, g)


@dataclass(frozen=True)
class FeedForwardCache:
    """Inputs and masks of ``linear2(dropout(act(linear1(x))))`` on ``[N, Embed]`` rows.

    With ReLU the activation is computed in place, so ``pre`` *is* ``act``: its backward needs
    only ``act > 0``, which is ``pre > 0``.
    """

    x: Array
    pre: Array
    act: Array
    hidden: Array
    keep: Array | None


def ff_work(n: int, ff: int) -> dict[str, Shape]:
    """Shapes of the forward's work arrays (kept in the cache)."""
    return {"pre": (n, ff)}


def ff_backward_work(
    n: int, embed: int, ff: int, activation: ActivationName
) -> tuple[dict[str, Shape], dict[str, Shape], dict[str, Shape]]:
    """Temporaries, boolean masks and results of the feed-forward backward.

    ``d_x`` counts as a temporary: both layers add a residual to it and backpropagate on.
    """
    temps: dict[str, Shape] = {"d_hidden": (n, ff), "d_x": (n, embed)}
    masks: dict[str, Shape] = {"relu_mask": (n, ff)} if activation == "relu" else {}
    results: dict[str, Shape] = {"lin1_w": (ff, embed), "lin1_b": (ff,), "lin2_w": (embed, ff)}
    return temps, masks, results | {"lin2_b": (embed,)}


def ff_forward(
    linear1: Linear[Any, Any],
    linear2: Linear[Any, Any],
    activation: ActivationName,
    p: float,
    x: Array,
    rng: np.random.Generator | None,
    *,
    work: dict[str, Array] | None = None,
    out: Array | None = None,
) -> tuple[Array, FeedForwardCache]:
    """``linear2(dropout(act(linear1(x))))`` into ``out`` ``[N, E]``, ``work`` from ``ff_work``."""
    if work is None:
        work = carve_named(x.dtype, ff_work(x.shape[0], linear1.out_features))
    if out is None:
        out = np.empty((x.shape[0], linear2.out_features), dtype=x.dtype)
    pre = work["pre"]
    np.matmul(x, linear1.weight.T, out=pre)
    pre += linear1.bias
    act = np.maximum(pre, 0, out=pre) if activation == "relu" else apply_activation(activation, pre)
    hidden, keep = drop(act, p, rng)
    np.matmul(hidden, linear2.weight.T, out=out)
    out += linear2.bias
    return out, FeedForwardCache(x, pre, act, hidden, keep)


def ff_backward(
    linear1: Linear[Any, Any],
    linear2: Linear[Any, Any],
    activation: ActivationName,
    p: float,
    cache: FeedForwardCache,
    g: Array,
    *,
    temps: dict[str, Array] | None = None,
    results: dict[str, Array] | None = None,
) -> tuple[LinearGrads, LinearGrads, Array]:
    """Reverse of ``ff_forward``; arrays as ``ff_backward_work`` names them."""
    n, embed, ff = g.shape[0], linear2.out_features, linear1.out_features
    if temps is None or results is None:
        temp_shapes, masks, result_shapes = ff_backward_work(n, embed, ff, activation)
        temps = carve_named(g.dtype, temp_shapes, masks)
        results = carve_named(g.dtype, result_shapes)
    np.matmul(g.T, cache.hidden, out=results["lin2_w"])
    column_sums(g, results["lin2_b"])
    d_hidden = np.matmul(g, linear2.weight, out=temps["d_hidden"])
    d_act = undrop(d_hidden, p, cache.keep)
    if activation == "relu":
        mask = np.greater(cache.act, 0, out=temps["relu_mask"])
        d_pre = np.multiply(d_act, mask, out=d_act)  # a bool factor: much faster than np.where
    else:
        d_pre = activation_vjp(activation, cache.pre, cache.act, d_act)
    np.matmul(d_pre.T, cache.x, out=results["lin1_w"])
    column_sums(d_pre, results["lin1_b"])
    dx = np.matmul(d_pre, linear1.weight, out=temps["d_x"])
    grads1 = LinearGrads(weight=results["lin1_w"], bias=results["lin1_b"])
    grads2 = LinearGrads(weight=results["lin2_w"], bias=results["lin2_b"])
    return grads1, grads2, dx


def ff_layers(
    embed_dim: int, ff_dim: int, gen: np.random.Generator, dtype: Any
) -> tuple[Linear[Any, Any], Linear[Any, Any]]:
    """``linear1`` ``[Embed -> FF]`` and ``linear2`` ``[FF -> Embed]``, PyTorch's init."""
    return Linear(embed_dim, ff_dim, rng=gen, dtype=dtype), Linear(
        ff_dim, embed_dim, rng=gen, dtype=dtype
    )
