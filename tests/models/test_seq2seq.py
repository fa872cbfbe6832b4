"""Seq2Seq (seed 000): embeddings, encoders, decoder, gradients, guards and learning tasks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import shapely_nn as sn
from shapely_nn import models
from shapely_nn.guards import GuardError
from shapely_nn.train import Adam, cross_entropy, fit

F64 = np.float64
SV, TV, E, H = 5, 6, 4, 4


def onehots(rng: np.random.Generator, steps: int, batch: int, vocab: int) -> Any:
    return sn.one_hot(sn.tensor(rng.integers(0, vocab, size=(steps, batch))), vocab, dtype=F64)


def test_embedding_out_of_range_id_is_zero_vector() -> None:
    emb = models.Seq2SeqEmbedding.init(SV, E, dropout=0.5, rng=0)
    out = emb(sn.tensor([1, SV, -1])).numpy()
    np.testing.assert_allclose(out[0], 0.5 * emb.embedding.weight[1])
    np.testing.assert_array_equal(out[1:], 0.0)


def test_embedding_onehot_equals_lookup_and_gradchecks(
    rng: np.random.Generator, check_grads: Any
) -> None:
    emb = models.Seq2SeqEmbedding.init(SV, E, dropout=0.25, rng=0).astype(F64)
    ids = sn.tensor(rng.integers(0, SV, size=(3, 2)))
    onehot = sn.one_hot(ids, SV, dtype=F64)
    np.testing.assert_allclose(emb.forward_onehot(onehot).numpy(), emb(ids).numpy())
    check_grads(emb, onehot, inputs=[onehot.numpy()])


@pytest.mark.parametrize("encoder", ["rnn", "lstm", "transformer"])
@pytest.mark.parametrize("heads", [None, 2])
def test_seq2seq_gradients(
    encoder: str, heads: int | None, rng: np.random.Generator, check_grads: Any
) -> None:
    model = models.Seq2Seq.init(SV, TV, E, H, encoder=encoder, heads=heads, rng=1, dtype=F64)
    src, tgt = onehots(rng, 3, 2, SV), onehots(rng, 2, 2, TV)
    check_grads(model, (src, tgt), inputs=[src.numpy(), tgt.numpy()])


@pytest.mark.parametrize("encoder", ["rnn", "transformer"])
def test_attention_seq2seq_gradients(
    encoder: str, rng: np.random.Generator, check_grads: Any
) -> None:
    model = models.AttentionSeq2Seq.init(SV, TV, E, H, encoder=encoder, rng=1, dtype=F64)
    src, tgt = onehots(rng, 3, 2, SV), onehots(rng, 2, 2, TV)
    check_grads(model, (src, tgt), inputs=[src.numpy(), tgt.numpy()])


def test_id_and_onehot_paths_agree(rng: np.random.Generator) -> None:
    model = models.Seq2Seq.init(SV, TV, E, H, encoder="lstm", heads=2, rng=1)
    src_ids = sn.tensor(rng.integers(0, SV, size=(3, 2)))
    tgt_ids = sn.tensor(rng.integers(0, TV, size=(4, 2)))
    by_ids = model.forward_training(src_ids, tgt_ids)
    by_onehot = model.forward_training_onehot(sn.one_hot(src_ids, SV), sn.one_hot(tgt_ids, TV))
    np.testing.assert_allclose(by_ids.numpy(), by_onehot.numpy(), rtol=1e-5, atol=1e-6)


def test_seed_loss_and_grads_record(rng: np.random.Generator) -> None:
    model = models.Seq2Seq.init(SV, TV, E, H, heads=2, rng=1, dtype=F64)
    src, tgt = onehots(rng, 3, 1, SV), onehots(rng, 2, 1, TV)
    loss, grads = model.cross_entropy_grad_onehot(src, tgt)
    logits = model.forward_training_onehot(src, tgt).numpy()
    expected = -(tgt.numpy() * (logits - np.log(np.exp(logits).sum(-1, keepdims=True)))).sum(-1)
    assert loss == pytest.approx(float(expected.mean()), rel=1e-12)
    assert loss == pytest.approx(model.cross_entropy_loss_onehot(src, tgt), rel=1e-12)
    assert grads.d_output_projection.as_dict()["weight"].shape == (TV, H)
    assert grads.d_decoder_attention is not None
    assert sorted(grads.as_dict()) == sorted(model.parameters())


def test_greedy_inference_feeds_back_its_argmax(rng: np.random.Generator) -> None:
    model = models.Seq2Seq.init(SV, TV, E, H, rng=1)
    src = sn.tensor(rng.integers(0, SV, size=(3, 2)))
    logits, tokens = model.forward_inference(src, start_token=0, max_len=4)
    assert logits.shape == sn.Shape.of(4, 2, TV) and tokens.shape == sn.Shape.of(4, 2)
    np.testing.assert_array_equal(tokens.numpy(), logits.numpy().argmax(-1))
    # teacher forcing on [start, tokens[:-1]] reproduces the greedy logits
    tgt_in = np.concatenate([np.zeros((1, 2), np.int64), tokens.numpy()[:-1]])
    forced = model.forward_training(src, sn.tensor(tgt_in))
    np.testing.assert_allclose(forced.numpy(), logits.numpy(), rtol=1e-5, atol=1e-6)


def test_guards() -> None:
    model = models.Seq2Seq.init(SV, TV, E, H, rng=1)
    src = sn.tensor([[1], [2]])
    with pytest.raises(GuardError, match="^max_len > 0 does not hold: max_len = 0$"):
        model.forward_inference(src, 0, 0)
    with pytest.raises(GuardError, match="^tgt_len != 0 does not hold: tgt_len = 0$"):
        model.forward_training(src, sn.tensor(np.zeros((0, 1), np.int64)))
    encoder = models.Seq2SeqTransformerEncoder.init(E, 2, 1, rng=0)
    with pytest.raises(GuardError, match="^seq_len > 0 does not hold: seq_len = 0$"):
        encoder(sn.zeros((0, 1, E)))
    with pytest.raises(sn.ShapeError, match="decoder's hidden size must equal it, got 5"):
        models.Seq2Seq.init(SV, TV, E, 5, encoder="transformer", rng=0)


def test_transformer_encoder_is_post_norm_fold(rng: np.random.Generator) -> None:
    encoder = models.Seq2SeqTransformerEncoder.init(E, 2, 2, rng=0)
    x = sn.tensor(rng.standard_normal((3, 2, E)).astype(np.float32))
    batch_first = sn.tensor(np.ascontiguousarray(x.numpy().swapaxes(0, 1)))
    expected = encoder.layers[1](encoder.layers[0](batch_first)).numpy().swapaxes(0, 1)
    np.testing.assert_allclose(encoder(x).numpy(), expected, rtol=1e-5, atol=1e-6)


# ---- learning tasks -----------------------------------------------------------------------

VOCAB, LENGTH, START = 8, 5, 8  # data tokens 0..7; the target side adds a start token


def _task(seed: int, batches: int, batch: int, reverse: bool) -> list[tuple[Any, Any]]:
    gen = np.random.default_rng(seed)
    data = []
    for _ in range(batches):
        src = gen.integers(0, VOCAB, size=(LENGTH, batch))
        out = src[::-1] if reverse else src
        tgt_in = np.concatenate([np.full((1, batch), START), out[:-1]])
        pair = (sn.one_hot(sn.tensor(src), VOCAB), sn.one_hot(sn.tensor(tgt_in), VOCAB + 1))
        data.append((pair, sn.tensor(np.ascontiguousarray(out))))
    return data


def _step(model: Any, batch: tuple[Any, Any]) -> tuple[float, Any]:
    pair, targets = batch
    logits, cache = model.forward(pair)
    loss, grad = cross_entropy(logits, targets)
    grads, _ = model.backward(cache, grad)
    return loss, grads


def _greedy_accuracy(model: Any, reverse: bool) -> float:
    gen = np.random.default_rng(99)
    src = gen.integers(0, VOCAB, size=(LENGTH, 256))
    expected = src[::-1] if reverse else src
    _, tokens = model.forward_inference(sn.tensor(src), START, LENGTH)
    return models.greedy_accuracy(tokens, sn.tensor(np.ascontiguousarray(expected)))


def test_lstm_seq2seq_learns_to_reverse() -> None:
    model = models.Seq2Seq.init(VOCAB, VOCAB + 1, 16, 64, encoder="lstm", rng=0)
    data = _task(0, 60, 64, reverse=True)
    model, losses = fit(model, data, _step, Adam(0.01), epochs=12, rng=1, clip=5.0, progress=False)
    accuracy = _greedy_accuracy(model, reverse=True)
    assert accuracy >= 0.95, (accuracy, losses)


@pytest.mark.parametrize("encoder", ["rnn", "transformer"])
def test_attention_seq2seq_learns_to_copy(encoder: str) -> None:
    model = models.AttentionSeq2Seq.init(VOCAB, VOCAB + 1, 16, 16, encoder=encoder, rng=0)
    data = _task(2, 60, 64, reverse=False)
    model, losses = fit(model, data, _step, Adam(0.01), epochs=8, rng=3, clip=5.0, progress=False)
    accuracy = _greedy_accuracy(model, reverse=False)
    assert accuracy >= 0.95, (accuracy, losses)
