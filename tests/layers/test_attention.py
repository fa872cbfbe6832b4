"""The seeds' encoder attention and scaled dot-product attention: torch parity, gradcheck."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _attn_helpers import assert_rel_close, check_layer_gradients, leaf, randomized

from shapely_nn import GuardError, ShapeError, Tensor
from shapely_nn.layers import (
    EncoderAttention,
    ScaledDotProductAttention,
    apply_attention,
    compute_attention_weights,
    scaled_dot_product_attention,
)


def _torch_seed_attention(
    w: torch.Tensor, h: torch.Tensor, enc: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The seeds' spec written in torch: softmax_t((W h) . enc_t), context sum_t a_t enc_t."""
    scores = (enc * (h @ w.T).unsqueeze(-2)).sum(-1)
    weights = torch.softmax(scores, dim=-1)
    return (weights.unsqueeze(-1) * enc).sum(-2), weights


@pytest.mark.parametrize("batch", [(), (3,), (2, 2)])
def test_seed_functions_match_torch(rng: np.random.Generator, batch: tuple[int, ...]) -> None:
    w = rng.standard_normal((5, 5)).astype(np.float32)
    h = rng.standard_normal((*batch, 5)).astype(np.float32)
    enc = rng.standard_normal((*batch, 7, 5)).astype(np.float32)
    weights = compute_attention_weights(Tensor(w), Tensor(h), Tensor(enc))
    context = apply_attention(weights, Tensor(enc))
    c_t, a_t = _torch_seed_attention(*(torch.from_numpy(a) for a in (w, h, enc)))
    assert weights.shape.as_tuple() == (*batch, 7)
    np.testing.assert_allclose(weights.numpy().sum(-1), 1.0, rtol=1e-6)
    assert_rel_close(weights, a_t, what="weights")
    assert_rel_close(context, c_t, what="context")


def test_encoder_attention_matches_torch_outputs_and_gradients(rng: np.random.Generator) -> None:
    layer = EncoderAttention(6, rng=rng)
    h = rng.standard_normal((2, 6)).astype(np.float32)
    enc = rng.standard_normal((2, 4, 6)).astype(np.float32)
    gc = rng.standard_normal((2, 6)).astype(np.float32)
    ga = rng.standard_normal((2, 4)).astype(np.float32)
    (context, weights), cache = layer.forward(Tensor(h), Tensor(enc))
    grads, dh, denc = layer.backward(cache, Tensor(gc), Tensor(ga))

    wt, ht, et = leaf(layer.weight), leaf(h), leaf(enc)
    c_t, a_t = _torch_seed_attention(wt, ht, et)
    ((c_t * torch.from_numpy(gc)).sum() + (a_t * torch.from_numpy(ga)).sum()).backward()
    assert_rel_close(context, c_t, what="context")
    assert_rel_close(weights, a_t, what="weights")
    assert_rel_close(grads.weight, wt.grad, what="grad weight")
    assert_rel_close(dh, ht.grad, what="grad hidden")
    assert_rel_close(denc, et.grad, what="grad encoder outputs")


def test_encoder_attention_gradcheck(rng: np.random.Generator) -> None:
    layer = randomized(EncoderAttention(4, rng=rng, dtype=np.float64), rng)
    h, enc = rng.standard_normal((2, 4)), rng.standard_normal((2, 3, 4))
    gc, ga = rng.standard_normal((2, 4)), rng.standard_normal((2, 3))
    _, cache = layer.forward(Tensor(h), Tensor(enc))
    grads, dh, denc = layer.backward(cache, Tensor(gc), Tensor(ga))
    check_layer_gradients(
        layer,
        lambda: layer(Tensor(h), Tensor(enc)),
        {"hidden": h, "encoder_outputs": enc},
        grads.as_dict(),
        {"hidden": dh, "encoder_outputs": denc},
        (gc, ga),
    )


def test_seed_attention_shape_errors_name_the_dim(rng: np.random.Generator) -> None:
    layer = EncoderAttention(4, rng=rng)
    h = Tensor(np.zeros((2, 4), dtype=np.float32))
    with pytest.raises(ShapeError, match=r"encoder_outputs last dim \(Hidden\) expected 4, got 3"):
        layer(h, Tensor(np.zeros((2, 5, 3), dtype=np.float32)))
    with pytest.raises(
        ShapeError, match=r"batch dims differ: decoder_hidden \[2\], encoder_outputs \[3\]"
    ):
        layer(h, Tensor(np.zeros((3, 5, 4), dtype=np.float32)))


def test_seed_attention_needs_a_nonempty_sequence() -> None:
    with pytest.raises(GuardError, match="seq_len > 0 does not hold: seq_len = 0"):
        compute_attention_weights(Tensor(np.eye(3)), Tensor(np.zeros(3)), Tensor(np.zeros((0, 3))))


def _sdpa_inputs(rng: np.random.Generator, dtype: type = np.float32) -> tuple[np.ndarray, ...]:
    q = rng.standard_normal((2, 3, 4, 8)).astype(dtype)
    k = rng.standard_normal((2, 3, 6, 8)).astype(dtype)
    v = rng.standard_normal((2, 3, 6, 5)).astype(dtype)
    return q, k, v


@pytest.mark.parametrize("masks", ["none", "causal", "padding", "attn"])
def test_sdpa_matches_torch_outputs_and_gradients(rng: np.random.Generator, masks: str) -> None:
    q, k, v = _sdpa_inputs(rng)
    g = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    padding = rng.random((2, 3, 6)) < 0.3
    padding[..., 0] = False
    blocked_attn = rng.random((4, 6)) < 0.3
    blocked_attn[:, 0] = False
    ours: dict[str, object] = {
        "none": {},
        "causal": {"causal": True},
        "padding": {"key_padding_mask": Tensor(padding)},
        "attn": {"attn_mask": Tensor(blocked_attn)},
    }[masks]
    # torch's F.scaled_dot_product_attention reads a bool mask as True = *attend*.
    allowed = {
        "none": None,
        "causal": torch.from_numpy(~np.triu(np.ones((4, 6), dtype=bool), 1)),
        "padding": torch.from_numpy(~padding[..., None, :]),
        "attn": torch.from_numpy(~blocked_attn),
    }[masks]
    layer = ScaledDotProductAttention()
    out, cache = layer.forward(Tensor(q), Tensor(k), Tensor(v), **ours)  # type: ignore[arg-type]
    _, dq, dk, dv = layer.backward(cache, Tensor(g))
    qt, kt, vt = leaf(q), leaf(k), leaf(v)
    ot = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, attn_mask=allowed)
    (ot * torch.from_numpy(g)).sum().backward()
    assert_rel_close(out, ot, what="output")
    for ours_grad, theirs, name in ((dq, qt, "q"), (dk, kt, "k"), (dv, vt, "v")):
        assert_rel_close(ours_grad, theirs.grad, what=f"grad {name}")


def test_sdpa_gradcheck_with_masks(rng: np.random.Generator) -> None:
    q, k, v = (a[:1, :2] for a in _sdpa_inputs(rng, np.float64))
    q, k, v = q.copy(), k.copy(), v.copy()
    padding = np.zeros((1, 2, 6), dtype=bool)
    padding[..., 4] = True
    w = rng.standard_normal((1, 2, 4, 5))
    layer = ScaledDotProductAttention()

    def run() -> Tensor:  # type: ignore[type-arg]
        return layer(Tensor(q), Tensor(k), Tensor(v), causal=True, key_padding_mask=Tensor(padding))

    _, cache = layer.forward(
        Tensor(q), Tensor(k), Tensor(v), causal=True, key_padding_mask=Tensor(padding)
    )
    _, dq, dk, dv = layer.backward(cache, Tensor(w))
    check_layer_gradients(layer, run, {"q": q, "k": k, "v": v}, {}, {"q": dq, "k": dk, "v": dv}, w)


def test_fully_blocked_query_row_gives_zero_output_and_zero_gradients(
    rng: np.random.Generator,
) -> None:
    q, k, v = (a[0, 0] for a in _sdpa_inputs(rng, np.float64))
    blocked = np.zeros((4, 6), dtype=bool)
    blocked[2] = True
    out, cache = ScaledDotProductAttention().forward(
        Tensor(q), Tensor(k), Tensor(v), attn_mask=Tensor(blocked)
    )
    _, dq, dk, dv = ScaledDotProductAttention().backward(cache, Tensor(np.ones((4, 5))))
    assert not out.numpy()[2].any() and out.numpy()[[0, 1, 3]].any()
    assert not dq.numpy()[2].any()
    assert np.isfinite(dk.numpy()).all() and np.isfinite(dv.numpy()).all()


def test_sdpa_function_equals_the_layer(rng: np.random.Generator) -> None:
    q, k, v = (Tensor(a) for a in _sdpa_inputs(rng))
    np.testing.assert_array_equal(
        scaled_dot_product_attention(q, k, v, causal=True).numpy(),
        ScaledDotProductAttention()(q, k, v, causal=True).numpy(),
    )


def test_sdpa_key_dim_mismatch_names_the_dim(rng: np.random.Generator) -> None:
    q, k, v = _sdpa_inputs(rng)
    with pytest.raises(ShapeError, match=r"key last dim \(Dk\) expected 8, got 7"):
        scaled_dot_product_attention(Tensor(q), Tensor(k[..., :7]), Tensor(v))
    with pytest.raises(ShapeError, match=r"value dim -2 \(Tk\) expected 6, got 5"):
        scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v[..., :5, :]))


def test_sdpa_attn_mask_shape_is_checked(rng: np.random.Generator) -> None:
    q, k, v = (Tensor(a) for a in _sdpa_inputs(rng))
    with pytest.raises(
        ShapeError, match=r"attn_mask must be a bool \[Tq, Tk\] = \[4, 6\], got bool \[6, 4\]"
    ):
        scaled_dot_product_attention(q, k, v, attn_mask=Tensor(np.zeros((6, 4), dtype=bool)))
