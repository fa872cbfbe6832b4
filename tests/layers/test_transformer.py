"""Post-norm transformer layers: PyTorch parity (outputs, all gradients, masks), gradcheck."""

from __future__ import annotations

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
from shapely_nn.layers import (
    TransformerDecoderLayer,
    TransformerDecoderLayerGrads,
    TransformerEncoderLayer,
)

E, HEADS, FF = 8, 2, 12


def _padding(rng: np.random.Generator, batch: int, length: int) -> np.ndarray:
    mask = rng.random((batch, length)) < 0.3
    mask[:, 0] = False  # every row keeps a key
    return mask


def _causal(length: int) -> np.ndarray:
    return np.triu(np.ones((length, length), dtype=bool), 1)


@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("masked", [False, True])
def test_encoder_matches_torch_outputs_and_all_gradients(
    rng: np.random.Generator, activation: str, masked: bool
) -> None:
    layer = randomized(
        TransformerEncoderLayer(E, HEADS, FF, activation=activation, rng=rng),  # type: ignore[arg-type]
        rng,
    )
    x = rng.standard_normal((3, 5, E)).astype(np.float32)
    g = rng.standard_normal((3, 5, E)).astype(np.float32)
    padding = _padding(rng, 3, 5) if masked else None
    ours_masks = {"key_padding_mask": Tensor(padding), "causal": True} if masked else {}

    y, cache = layer.forward(Tensor(x), **ours_masks)
    grads, dx = layer.backward(cache, Tensor(g))

    module = to_torch(layer)
    xt = leaf(x)
    torch_masks = (
        {
            "src_key_padding_mask": torch.from_numpy(padding),
            "src_mask": torch.from_numpy(_causal(5)),
        }
        if masked
        else {}
    )
    yt = module(xt, **torch_masks)
    (yt * torch.from_numpy(g)).sum().backward()
    assert_rel_close(y, yt, what="output")
    assert_rel_close(dx, xt.grad, what="grad x")
    assert_param_grads_match(module, grads.as_dict())


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_decoder_matches_torch_outputs_and_all_gradients(
    rng: np.random.Generator, activation: str
) -> None:
    layer = randomized(
        TransformerDecoderLayer(E, HEADS, FF, activation=activation, rng=rng),  # type: ignore[arg-type]
        rng,
    )
    tgt = rng.standard_normal((2, 4, E)).astype(np.float32)
    memory = rng.standard_normal((2, 6, E)).astype(np.float32)
    g = rng.standard_normal((2, 4, E)).astype(np.float32)
    tgt_padding, mem_padding = _padding(rng, 2, 4), _padding(rng, 2, 6)

    y, cache = layer.forward(
        Tensor(tgt),
        Tensor(memory),
        tgt_causal=True,
        tgt_key_padding_mask=Tensor(tgt_padding),
        memory_key_padding_mask=Tensor(mem_padding),
    )
    grads, d_tgt, d_memory = layer.backward(cache, Tensor(g))
    assert isinstance(grads, TransformerDecoderLayerGrads)

    module = to_torch(layer)
    tt, mt = leaf(tgt), leaf(memory)
    yt = module(
        tt,
        mt,
        tgt_mask=torch.from_numpy(_causal(4)),
        tgt_key_padding_mask=torch.from_numpy(tgt_padding),
        memory_key_padding_mask=torch.from_numpy(mem_padding),
    )
    (yt * torch.from_numpy(g)).sum().backward()
    assert_rel_close(y, yt, what="output")
    assert_rel_close(d_tgt, tt.grad, what="grad tgt")
    assert_rel_close(d_memory, mt.grad, what="grad memory")
    assert_param_grads_match(module, grads.as_dict())


def test_decoder_memory_mask_matches_torch(rng: np.random.Generator) -> None:
    layer = randomized(TransformerDecoderLayer(E, HEADS, FF, rng=rng, dtype=np.float64), rng)
    tgt, memory = rng.standard_normal((2, 3, E)), rng.standard_normal((2, 5, E))
    memory_mask = rng.random((3, 5)) < 0.4
    memory_mask[:, 0] = False
    y = layer(Tensor(tgt), Tensor(memory), memory_mask=Tensor(memory_mask))
    yt = to_torch(layer)(
        torch.from_numpy(tgt), torch.from_numpy(memory), memory_mask=torch.from_numpy(memory_mask)
    )
    assert_rel_close(y, yt, rtol=1e-10, what="output")


def test_call_is_torch_eval_even_with_dropout_configured(rng: np.random.Generator) -> None:
    layer = randomized(TransformerEncoderLayer(E, HEADS, FF, dropout=0.3, rng=rng), rng)
    x = rng.standard_normal((2, 4, E)).astype(np.float32)
    module = to_torch(layer).eval()
    with torch.no_grad():
        yt = module(torch.from_numpy(x))
    assert_rel_close(layer(Tensor(x)), yt, what="eval output")


def test_encoder_float64_and_unbatched_match_torch(rng: np.random.Generator) -> None:
    layer = randomized(TransformerEncoderLayer(E, HEADS, FF, rng=rng, dtype=np.float64), rng)
    x = rng.standard_normal((5, E))
    y = layer(Tensor(x))
    assert y.dtype == np.float64 and y.shape.as_tuple() == (5, E)
    assert_rel_close(y, to_torch(layer)(torch.from_numpy(x)), rtol=1e-10, what="output")


def test_encoder_gradcheck_every_parameter_and_input(rng: np.random.Generator) -> None:
    layer = randomized(
        TransformerEncoderLayer(4, 2, 6, activation="gelu", rng=rng, dtype=np.float64), rng
    )
    x = rng.standard_normal((2, 3, 4))
    padding = _padding(rng, 2, 3)
    w = rng.standard_normal((2, 3, 4))

    def run() -> Tensor:  # type: ignore[type-arg]
        return layer(Tensor(x), key_padding_mask=Tensor(padding), causal=True)

    _, cache = layer.forward(Tensor(x), key_padding_mask=Tensor(padding), causal=True)
    grads, dx = layer.backward(cache, Tensor(w))
    check_layer_gradients(layer, run, {"x": x}, grads.as_dict(), {"x": dx}, w)


def test_decoder_gradcheck_every_parameter_and_input(rng: np.random.Generator) -> None:
    layer = randomized(TransformerDecoderLayer(4, 2, 6, rng=rng, dtype=np.float64), rng)
    tgt, memory = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 2, 4))
    w = rng.standard_normal((2, 3, 4))

    def run() -> Tensor:  # type: ignore[type-arg]
        return layer(Tensor(tgt), Tensor(memory), tgt_causal=True)

    _, cache = layer.forward(Tensor(tgt), Tensor(memory), tgt_causal=True)
    grads, d_tgt, d_memory = layer.backward(cache, Tensor(w))
    check_layer_gradients(
        layer,
        run,
        {"tgt": tgt, "memory": memory},
        grads.as_dict(),
        {"tgt": d_tgt, "memory": d_memory},
        w,
    )


def test_training_dropout_gradients_use_the_forward_masks(rng: np.random.Generator) -> None:
    layer = randomized(
        TransformerEncoderLayer(4, 2, 6, dropout=0.3, rng=rng, dtype=np.float64), rng
    )
    x = rng.standard_normal((2, 3, 4))
    w = rng.standard_normal((2, 3, 4))

    def run() -> Tensor:  # type: ignore[type-arg]
        return layer.forward(Tensor(x), rng=np.random.default_rng(3))[0]

    assert not np.allclose(run().numpy(), layer(Tensor(x)).numpy())
    _, cache = layer.forward(Tensor(x), rng=np.random.default_rng(3))
    grads, dx = layer.backward(cache, Tensor(w))
    check_layer_gradients(layer, run, {"x": x}, grads.as_dict(), {"x": dx}, w)


def test_parameter_names_follow_torch(rng: np.random.Generator) -> None:
    for layer in (
        TransformerEncoderLayer(E, HEADS, FF, rng=rng),
        TransformerDecoderLayer(E, HEADS, FF, rng=rng),
    ):
        ours = {n.replace("in_proj.", "in_proj_") for n in layer.parameters()}
        assert ours == {n for n, _ in to_torch(layer).named_parameters()}


def test_empty_sequence_is_a_guard_error(rng: np.random.Generator) -> None:
    layer = TransformerEncoderLayer(E, HEADS, FF, rng=rng)
    with pytest.raises(GuardError, match=r"seq_len > 0 does not hold: seq_len = 0"):
        layer(Tensor(np.zeros((2, 0, E), dtype=np.float32)))


def test_zero_embed_is_a_guard_error() -> None:
    with pytest.raises(GuardError, match=r"embed > 0 does not hold: embed = 0"):
        TransformerEncoderLayer(0, 1, 4, rng=0)


def test_embed_not_divisible_by_heads_is_a_guard_error() -> None:
    with pytest.raises(GuardError, match=r"embed_dim % heads == 0 does not hold"):
        TransformerDecoderLayer(6, 4, 8, rng=0)


def test_wrong_embed_names_layer_and_sizes(rng: np.random.Generator) -> None:
    layer = TransformerEncoderLayer(E, HEADS, FF, rng=rng)
    with pytest.raises(
        ShapeError,
        match=r"TransformerEncoderLayer\[8, 2, 12\] expects x \[\*B, SeqLen, Embed\] "
        r"with last dim \(Embed\) 8, got 7 in \[2, 3, 7\]",
    ):
        layer(Tensor(np.zeros((2, 3, 7), dtype=np.float32)))


def test_decoder_memory_batch_must_match_target(rng: np.random.Generator) -> None:
    layer = TransformerDecoderLayer(E, HEADS, FF, rng=rng)
    tgt = Tensor(np.zeros((2, 3, E), dtype=np.float32))
    memory = Tensor(np.zeros((4, 3, E), dtype=np.float32))
    with pytest.raises(ShapeError, match=r"memory batch dims \[4\] differ from tgt's \[2\]"):
        layer(tgt, memory)


def test_unknown_activation_is_refused() -> None:
    with pytest.raises(ValueError, match="activation must be 'relu' or 'gelu'"):
        TransformerEncoderLayer(E, HEADS, FF, activation="swish", rng=0)  # type: ignore[arg-type]
