"""MultiHeadAttention: PyTorch parity (outputs, every gradient, masks), gradcheck, guards."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _attn_helpers import (
    assert_param_grads_match,
    assert_rel_close,
    check_layer_gradients,
    leaf,
    randomized,
)

from shapely_nn import GuardError, ShapeError, Tensor
from shapely_nn.io import to_torch
from shapely_nn.layers import MultiHeadAttention, MultiHeadAttentionGrads

E, HEADS = 8, 2


def _layer(rng: np.random.Generator, dtype: object = np.float32) -> MultiHeadAttention:  # type: ignore[type-arg]
    return randomized(MultiHeadAttention(E, HEADS, rng=rng, dtype=dtype), rng)


def _torch_masks(
    key_padding: np.ndarray | None, attn: np.ndarray | None
) -> dict[str, torch.Tensor]:
    out = {}
    if key_padding is not None:
        out["key_padding_mask"] = torch.from_numpy(key_padding)
    if attn is not None:
        out["attn_mask"] = torch.from_numpy(attn)
    return out


def _our_masks(key_padding: np.ndarray | None, attn: np.ndarray | None) -> dict[str, Tensor]:
    out = {}
    if key_padding is not None:
        out["key_padding_mask"] = Tensor(key_padding)
    if attn is not None:
        out["attn_mask"] = Tensor(attn)
    return out


def _padding(rng: np.random.Generator, batch: int, length: int) -> np.ndarray:
    mask = rng.random((batch, length)) < 0.3
    mask[:, 0] = False  # keep one key per row, so no row is fully blocked
    return mask


@pytest.mark.parametrize("masks", ["none", "padding", "causal", "both"])
def test_self_attention_matches_torch_outputs_and_all_gradients(
    rng: np.random.Generator, masks: str
) -> None:
    layer = _layer(rng)
    x = rng.standard_normal((3, 5, E)).astype(np.float32)
    g = rng.standard_normal((3, 5, E)).astype(np.float32)
    padding = _padding(rng, 3, 5) if masks in ("padding", "both") else None
    causal = np.triu(np.ones((5, 5), dtype=bool), 1) if masks in ("causal", "both") else None

    y, cache = layer.forward(Tensor(x), **_our_masks(padding, causal))
    grads, dx, dk, dv = layer.backward(cache, Tensor(g))

    module = to_torch(layer)
    xt = leaf(x)
    yt, _ = module(xt, xt, xt, need_weights=False, **_torch_masks(padding, causal))
    (yt * torch.from_numpy(g)).sum().backward()
    assert_rel_close(y, yt, what="output")
    assert_rel_close(dx, xt.grad, what="grad x")
    assert dk is None and dv is None
    assert_param_grads_match(module, grads.as_dict())


def test_causal_flag_equals_an_explicit_upper_triangular_mask(rng: np.random.Generator) -> None:
    layer = _layer(rng)
    x = Tensor(rng.standard_normal((2, 4, E)).astype(np.float32))
    explicit = Tensor(np.triu(np.ones((4, 4), dtype=bool), 1))
    np.testing.assert_array_equal(
        layer(x, causal=True).numpy(), layer(x, attn_mask=explicit).numpy()
    )


def test_cross_attention_matches_torch_with_memory_padding(rng: np.random.Generator) -> None:
    layer = _layer(rng)
    q = rng.standard_normal((2, 3, E)).astype(np.float32)
    memory = rng.standard_normal((2, 6, E)).astype(np.float32)
    g = rng.standard_normal((2, 3, E)).astype(np.float32)
    padding = _padding(rng, 2, 6)

    y, cache = layer.forward(Tensor(q), Tensor(memory), key_padding_mask=Tensor(padding))
    grads, dq, dmem, dv = layer.backward(cache, Tensor(g))

    module = to_torch(layer)
    qt, mt = leaf(q), leaf(memory)
    yt, _ = module(qt, mt, mt, key_padding_mask=torch.from_numpy(padding), need_weights=False)
    (yt * torch.from_numpy(g)).sum().backward()
    assert_rel_close(y, yt, what="output")
    assert_rel_close(dq, qt.grad, what="grad query")
    assert dmem is not None and dv is None
    assert_rel_close(dmem, mt.grad, what="grad memory")
    assert_param_grads_match(module, grads.as_dict())


def test_separate_key_and_value_match_torch(rng: np.random.Generator) -> None:
    layer = _layer(rng)
    q, k, v = (rng.standard_normal((2, t, E)).astype(np.float32) for t in (3, 4, 4))
    g = rng.standard_normal((2, 3, E)).astype(np.float32)
    y, cache = layer.forward(Tensor(q), Tensor(k), Tensor(v))
    grads, dq, dk, dv = layer.backward(cache, Tensor(g))

    module = to_torch(layer)
    qt, kt, vt = leaf(q), leaf(k), leaf(v)
    yt, _ = module(qt, kt, vt, need_weights=False)
    (yt * torch.from_numpy(g)).sum().backward()
    assert_rel_close(y, yt, what="output")
    for ours, theirs, name in ((dq, qt, "q"), (dk, kt, "k"), (dv, vt, "v")):
        assert_rel_close(ours, theirs.grad, what=f"grad {name}")
    assert_param_grads_match(module, grads.as_dict())


def test_unbatched_input_matches_torch(rng: np.random.Generator) -> None:
    layer = _layer(rng)
    x = rng.standard_normal((5, E)).astype(np.float32)
    y = layer(Tensor(x))
    module = to_torch(layer)
    xt = torch.from_numpy(x)
    yt, _ = module(xt, xt, xt, need_weights=False)
    assert y.shape.as_tuple() == (5, E)
    assert_rel_close(y, yt, what="output")


def test_several_batch_dims_equal_the_flattened_batch(rng: np.random.Generator) -> None:
    layer = _layer(rng, np.float64)
    x = rng.standard_normal((2, 3, 4, E))
    padding = _padding(rng, 6, 4)
    y4 = layer(Tensor(x), key_padding_mask=Tensor(padding.reshape(2, 3, 4)))
    y3 = layer(Tensor(x.reshape(6, 4, E)), key_padding_mask=Tensor(padding))
    np.testing.assert_allclose(y4.numpy().reshape(6, 4, E), y3.numpy(), rtol=1e-12)


def test_float64_matches_torch_float64(rng: np.random.Generator) -> None:
    layer = _layer(rng, np.float64)
    x = rng.standard_normal((2, 4, E))
    module = to_torch(layer)
    xt = torch.from_numpy(x)
    yt, _ = module(xt, xt, xt, need_weights=False)
    assert_rel_close(layer(Tensor(x)), yt, rtol=1e-12, what="float64 output")


@pytest.mark.parametrize("mode", ["self", "cross", "separate"])
def test_gradcheck_every_parameter_and_input(rng: np.random.Generator, mode: str) -> None:
    layer = _layer(rng, np.float64)
    q = rng.standard_normal((2, 3, E))
    k = rng.standard_normal((2, 4, E))
    v = rng.standard_normal((2, 4, E))
    key_len = 3 if mode == "self" else 4
    padding = _padding(rng, 2, key_len)
    w = rng.standard_normal((2, 3, E))
    args = {"self": (q,), "cross": (q, k), "separate": (q, k, v)}[mode]

    def run() -> Tensor:  # type: ignore[type-arg]
        return layer(
            *(Tensor(a) for a in args), key_padding_mask=Tensor(padding), causal=mode == "self"
        )

    _, cache = layer.forward(
        *(Tensor(a) for a in args), key_padding_mask=Tensor(padding), causal=mode == "self"
    )
    grads, *input_grads = layer.backward(cache, Tensor(w))
    names = ["query", "key", "value"][: len(args)]
    check_layer_gradients(
        layer,
        run,
        dict(zip(names, args, strict=True)),
        grads.as_dict(),
        {n: g for n, g in zip(names, input_grads, strict=False)},
        w,
    )


def test_attention_dropout_in_training_uses_one_mask_for_forward_and_backward(
    rng: np.random.Generator,
) -> None:
    base = _layer(rng, np.float64)
    layer = MultiHeadAttention.from_arrays(
        base.in_proj.weight,
        base.in_proj.bias,
        base.out_proj.weight,
        base.out_proj.bias,
        HEADS,
        dropout=0.4,
    )
    x = rng.standard_normal((2, 4, E))
    w = rng.standard_normal((2, 4, E))

    def run() -> Tensor:  # type: ignore[type-arg]
        return layer.forward(Tensor(x), rng=np.random.default_rng(7))[0]

    trained = run().numpy()
    assert not np.allclose(trained, layer(Tensor(x)).numpy())
    _, cache = layer.forward(Tensor(x), rng=np.random.default_rng(7))
    grads, dx, _, _ = layer.backward(cache, Tensor(w))
    check_layer_gradients(layer, run, {"x": x}, grads.as_dict(), {"x": dx}, w)


def test_parameters_use_torch_names_and_grads_mirror_them(rng: np.random.Generator) -> None:
    layer = MultiHeadAttention(E, HEADS, rng=rng)
    x = Tensor(rng.standard_normal((1, 2, E)).astype(np.float32))
    _, cache = layer.forward(x)
    grads, *_ = layer.backward(cache, x)
    assert isinstance(grads, MultiHeadAttentionGrads)
    assert set(layer.parameters()) == set(grads.as_dict())
    torch_names = {n for n, _ in to_torch(layer).named_parameters()}
    assert {n.replace("in_proj.", "in_proj_") for n in layer.parameters()} == torch_names


def test_init_follows_torch_scales(rng: np.random.Generator) -> None:
    layer = MultiHeadAttention(64, 4, rng=rng)
    xavier = math.sqrt(6.0 / (64 + 3 * 64))
    assert np.abs(layer.in_proj.weight).max() <= xavier
    assert np.abs(layer.in_proj.weight).max() > 0.95 * xavier
    assert np.abs(layer.out_proj.weight).max() <= 1 / 8
    assert not layer.in_proj.bias.any() and not layer.out_proj.bias.any()
    again = MultiHeadAttention(64, 4, rng=np.random.default_rng(20261123))
    np.testing.assert_array_equal(layer.in_proj.weight, again.in_proj.weight)


def test_embed_not_divisible_by_heads_is_a_guard_error() -> None:
    with pytest.raises(
        GuardError,
        match=r"embed_dim % heads == 0 does not hold: embed_dim = 10, heads = 4, remainder 2",
    ):
        MultiHeadAttention(10, 4, rng=0)


def test_wrong_embed_dim_names_layer_dim_and_sizes(rng: np.random.Generator) -> None:
    layer = MultiHeadAttention(E, HEADS, rng=rng)
    x = Tensor(np.zeros((2, 3, 6), dtype=np.float32))
    with pytest.raises(
        ShapeError,
        match=r"MultiHeadAttention\[8, 2\] expects query \[\*B, T, Embed\] "
        r"with last dim \(Embed\) 8, got 6 in \[2, 3, 6\]",
    ):
        layer(x)


def test_key_batch_dims_must_match_query(rng: np.random.Generator) -> None:
    layer = MultiHeadAttention(E, HEADS, rng=rng)
    q = Tensor(np.zeros((2, 3, E), dtype=np.float32))
    k = Tensor(np.zeros((3, 3, E), dtype=np.float32))
    with pytest.raises(ShapeError, match=r"key batch dims \[3\] differ from query's \[2\]"):
        layer(q, k)


def test_padding_mask_shape_is_checked(rng: np.random.Generator) -> None:
    layer = MultiHeadAttention(E, HEADS, rng=rng)
    x = Tensor(np.zeros((2, 3, E), dtype=np.float32))
    with pytest.raises(
        ShapeError,
        match=r"key_padding_mask must be a bool \[\*B, Tk\] = \[2, 3\], got bool \[2, 4\]",
    ):
        layer(x, key_padding_mask=Tensor(np.zeros((2, 4), dtype=bool)))


def test_empty_sequence_is_a_guard_error(rng: np.random.Generator) -> None:
    layer = MultiHeadAttention(E, HEADS, rng=rng)
    with pytest.raises(GuardError, match="seq_len > 0 does not hold"):
        layer(Tensor(np.zeros((2, 0, E), dtype=np.float32)))


def test_value_that_is_the_key_is_one_argument(rng: np.random.Generator) -> None:
    layer = _layer(rng, np.float64)
    q = Tensor(rng.standard_normal((2, 3, E)))
    memory = Tensor(rng.standard_normal((2, 4, E)))
    g = Tensor(rng.standard_normal((2, 3, E)))
    y_two, cache_two = layer.forward(q, memory)
    y_three, cache_three = layer.forward(q, memory, memory)
    np.testing.assert_array_equal(y_two.numpy(), y_three.numpy())
    _, _, d_two, none_two = layer.backward(cache_two, g)
    _, _, d_three, none_three = layer.backward(cache_three, g)
    assert none_two is None and none_three is None
    assert d_two is not None and d_three is not None
    np.testing.assert_array_equal(d_two.numpy(), d_three.numpy())
