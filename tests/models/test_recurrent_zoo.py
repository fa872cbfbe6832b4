"""The RNN/LSTM zoo (seeds 001, 002): wiring, gradients, PyTorch parity, learning tasks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import shapely_nn as sn
from shapely_nn import ShapeError, models
from shapely_nn.io import to_torch
from shapely_nn.modules import Chain
from shapely_nn.train import Adam, cross_entropy, fit

F64 = np.float64
T, B, IN, H, OUT, V = 4, 2, 3, 5, 2, 6


def seq(rng: np.random.Generator, *shape: int) -> Any:
    return sn.tensor(rng.standard_normal(shape))


RECORDS = {
    "SimpleRNNModel": lambda: models.SimpleRNNModel.init(IN, H, OUT, rng=0),
    "MultiLayerRNN": lambda: models.MultiLayerRNN.init(IN, H, OUT, 2, rng=0),
    "RNNClassifier": lambda: models.RNNClassifier.init(IN, H, OUT, rng=0),
    "BiRNNModel": lambda: models.BiRNNModel.init(IN, H, OUT, rng=0),
    "SimpleLSTMModel": lambda: models.SimpleLSTMModel.init(IN, H, OUT, rng=0),
    "MultiLayerLSTM": lambda: models.MultiLayerLSTM.init(IN, H, OUT, 2, rng=0),
    "LSTMClassifier": lambda: models.LSTMClassifier.init(IN, H, OUT, rng=0),
    "BiLSTMModel": lambda: models.BiLSTMModel.init(IN, H, OUT, rng=0),
}

CHAINS = {
    "rnn_seq2seq": lambda: models.rnn_seq2seq_chain(IN, H, OUT, rng=0),
    "rnn_classifier": lambda: models.rnn_classifier_chain(IN, H, OUT, rng=0),
    "two_layer_rnn": lambda: models.two_layer_rnn_chain(IN, H, OUT, rng=0),
    "bilstm_classifier": lambda: models.bilstm_classifier_chain(IN, H, OUT, rng=0),
    "lstm_seq2seq": lambda: models.lstm_seq2seq_chain(IN, H, OUT, rng=0),
    "lstm_classifier": lambda: models.lstm_classifier_chain(IN, H, OUT, rng=0),
    "two_layer_lstm": lambda: models.two_layer_lstm_chain(IN, H, OUT, rng=0),
}


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_record_model_gradients(name: str, rng: np.random.Generator, check_grads: Any) -> None:
    model = RECORDS[name]().astype(F64)
    x = seq(rng, T, B, IN)
    check_grads(model, x, inputs=[x.numpy()])


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_chain_gradients(name: str, rng: np.random.Generator, check_grads: Any) -> None:
    chain = CHAINS[name]().astype(F64)
    assert isinstance(chain, Chain)
    x = seq(rng, T, B, IN)
    check_grads(chain, x, inputs=[x.numpy()])


@pytest.mark.parametrize("name", ["rnn_lm", "lstm_lm"])
def test_lm_chains_map_onehot_to_vocab_logits(name: str, rng: np.random.Generator) -> None:
    chain = getattr(models, f"{name}_chain")(V, H, rng=0)
    ids = sn.tensor(rng.integers(0, V, size=(T, B)))
    assert chain(sn.one_hot(ids, V)).shape == sn.Shape.of(T, B, V)


def test_grads_are_named_like_parameters(rng: np.random.Generator) -> None:
    model = models.SimpleLSTMModel.init(IN, H, OUT, rng=0)
    y, cache = model.forward(seq(rng, T, B, IN).astype(np.float32))
    grads, _ = model.backward(cache, sn.ones(y.shape))
    assert sorted(grads.as_dict()) == sorted(model.parameters())
    assert grads.output_layer.weight.shape == (OUT, H)


def test_classifier_reads_the_final_hidden_state(rng: np.random.Generator) -> None:
    model = models.LSTMClassifier.init(IN, H, OUT, rng=0)
    x = seq(rng, T, B, IN).astype(np.float32)
    hs = model.lstm(x)
    np.testing.assert_allclose(model(x).numpy(), model.classifier(hs[T - 1]).numpy(), rtol=1e-6)


def test_simple_lstm_matches_torch(rng: np.random.Generator) -> None:
    model = models.SimpleLSTMModel.init(IN, H, OUT, rng=0)
    x = rng.standard_normal((T, B, IN)).astype(np.float32)
    lstm, head = to_torch(model.lstm), to_torch(model.output_layer)
    expected = head(lstm(torch.from_numpy(x))[0]).detach().numpy()
    np.testing.assert_allclose(model(sn.tensor(x)).numpy(), expected, rtol=1e-4, atol=1e-6)


def test_bilstm_model_matches_torch(rng: np.random.Generator) -> None:
    model = models.BiLSTMModel.init(IN, H, OUT, rng=0)
    x = rng.standard_normal((T, B, IN)).astype(np.float32)
    bi, head = to_torch(model.bilstm), to_torch(model.output_layer)
    expected = head(bi(torch.from_numpy(x))[0]).detach().numpy()
    np.testing.assert_allclose(model(sn.tensor(x)).numpy(), expected, rtol=1e-4, atol=1e-6)


def test_simple_step_agrees_with_the_sequence(rng: np.random.Generator) -> None:
    model = models.SimpleRNNModel.init(IN, H, OUT, rng=0)
    xs = seq(rng, T, B, IN).astype(np.float32)
    outputs, h_final = model.run(xs)
    h = None
    for t in range(T):
        y, h = model.step(xs[t], h)
        np.testing.assert_allclose(y.numpy(), outputs[t].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h.numpy(), h_final.numpy(), rtol=1e-5, atol=1e-6)


def test_lstm_loss_and_grads_is_mse(rng: np.random.Generator) -> None:
    model = models.SimpleLSTMModel.init(IN, H, OUT, rng=0).astype(F64)
    xs, targets = seq(rng, T, B, IN), seq(rng, T, B, OUT)
    loss, grads = model.loss_and_grads(xs, targets)
    assert loss == pytest.approx(float(((model(xs).numpy() - targets.numpy()) ** 2).mean()))
    assert sorted(grads.as_dict()) == sorted(model.parameters())


@pytest.mark.parametrize("cls", [models.RNNGenerator, models.LSTMGenerator])
def test_generation_is_seeded(cls: Any) -> None:
    model = cls.init(V, H, rng=0)
    a = model.generate(1, 12, rng=5)
    assert a == model.generate(1, 12, rng=5)
    assert a != model.generate(1, 12, rng=6)
    assert all(0 <= t < V for t in a) and len(a) == 12
    with pytest.raises(sn.guards.GuardError, match="0 <= start < 6 does not hold: start = 6"):
        model.generate(V, 3, rng=0)


def test_generator_gradients(rng: np.random.Generator, check_grads: Any) -> None:
    model = models.LSTMGenerator.init(V, H, rng=0).astype(F64)
    onehot = sn.one_hot(sn.tensor(rng.integers(0, V, size=(T, B))), V, dtype=F64)
    check_grads(model, onehot, inputs=[onehot.numpy()])


def test_lm_dropout_inference_is_the_seed_scaling(rng: np.random.Generator) -> None:
    model = models.LSTMLanguageModel.init(V, H, 2, dropout=0.25, rng=0).astype(F64)
    onehot = sn.one_hot(sn.tensor(rng.integers(0, V, size=(T, B))), V, dtype=F64)
    hidden = model.layers(model.embedding(onehot))
    expected = model.output_projection(sn.tensor(0.75 * hidden.numpy()))
    np.testing.assert_allclose(model(onehot).numpy(), expected.numpy(), rtol=1e-12)
    a, _ = model.forward(onehot, rng=np.random.default_rng(1))
    b, _ = model.forward(onehot, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(a.numpy(), model(onehot).numpy())


def test_lm_gradients_with_and_without_dropout(rng: np.random.Generator, check_grads: Any) -> None:
    model = models.LSTMLanguageModel.init(V, H, 2, dropout=0.25, rng=0).astype(F64)
    onehot = sn.one_hot(sn.tensor(rng.integers(0, V, size=(3, 1))), V, dtype=F64)
    check_grads(model, onehot, inputs=[onehot.numpy()])


def test_attention_lstm_shapes_and_gradients(rng: np.random.Generator, check_grads: Any) -> None:
    model = models.AttentionLSTM.init(IN, H, OUT, rng=0).astype(F64)
    src, tgt = seq(rng, 5, B, IN), seq(rng, 3, B, IN)
    assert model((src, tgt)).shape == sn.Shape.of(3, B, OUT)
    check_grads(model, (src, tgt), inputs=[src.numpy(), tgt.numpy()])
    with pytest.raises(
        ShapeError, match="AttentionLSTM: source \\[5, 2, 3\\] and target \\[3, 3, 3\\]"
    ):
        model((src, seq(rng, 3, 3, IN)))


# ---- learning tasks -----------------------------------------------------------------------


def _majority_data(seed: int, batches: int, batch: int, length: int) -> list[tuple[Any, Any]]:
    gen = np.random.default_rng(seed)
    data = []
    for _ in range(batches):
        bits = gen.integers(0, 2, size=(length, batch))
        x = np.eye(2, dtype=np.float32)[bits]  # [T, B, 2]
        y = (bits.sum(axis=0) * 2 > length).astype(np.int64)
        data.append((sn.tensor(x), sn.tensor(y)))
    return data


def _classifier_step(model: Any, batch: tuple[Any, Any]) -> tuple[float, Any]:
    x, y = batch
    logits, cache = model.forward(x)
    loss, grad = cross_entropy(logits, y)
    grads, _ = model.backward(cache, grad)
    return loss, grads


def test_lstm_classifier_learns_majority() -> None:
    train = _majority_data(0, 40, 32, 7)
    test = _majority_data(1, 8, 64, 7)
    model = models.LSTMClassifier.init(2, 16, 2, rng=3)
    model, losses = fit(model, train, _classifier_step, Adam(0.02), epochs=8, rng=4, progress=False)
    correct = sum(int((sn.argmax(model(x)).numpy() == y.numpy()).sum()) for x, y in test)
    accuracy = correct / (8 * 64)
    assert losses[-1] < losses[0]
    assert accuracy >= 0.95, accuracy


def test_lstm_language_model_learns_a_pattern() -> None:
    gen = np.random.default_rng(0)
    pattern = np.array([0, 1, 2, 3, 2, 1])
    data = []
    for _ in range(30):
        starts = gen.integers(0, len(pattern), size=8)
        ids = np.stack([np.roll(pattern, -s)[np.arange(13) % len(pattern)] for s in starts], 1)
        onehot = sn.one_hot(sn.tensor(ids[:-1]), 4)
        data.append((onehot, sn.tensor(ids[1:])))

    def step(model: Any, batch: tuple[Any, Any]) -> tuple[float, Any]:
        x, y = batch
        logits, cache = model.forward(x, rng=gen)
        loss, grad = cross_entropy(logits, y)
        grads, _ = model.backward(cache, grad)
        return loss, grads

    model = models.LSTMLanguageModel.init(4, 16, 1, dropout=0.1, rng=1)
    model, losses = fit(model, data, step, Adam(0.03), epochs=6, rng=2, progress=False)
    x, y = data[0]
    loss, _ = cross_entropy(model(x), y)
    # the pattern is deterministic after two tokens: a fitted model is far below log(4) = 1.39
    assert loss < 0.25, loss
    assert losses[-1] < losses[0]
