"""The LSTM zoo of seed 002 as typed definitions (time-major ``[T, B, features]``)."""

from __future__ import annotations

from typing import Literal as L, TypeVar

from shapely_nn import Add, Tensor, concat, softmax
from shapely_nn.layers import Linear
from shapely_nn.models import (
    AttentionLSTM,
    BiLSTMModel,
    LSTMClassifier,
    LSTMGenerator,
    LSTMLanguageModel,
    MultiLayerLSTM,
    SimpleLSTMModel,
)
from shapely_nn.modules import LSTM, BiLSTM, RecurrentStack

T = TypeVar("T", bound=int)
B = TypeVar("B", bound=int)

Features = L[10]
Hidden = L[20]
Out = L[3]
Vocab = L[64]


def simple_lstm() -> SimpleLSTMModel[Features, Hidden, Out]:
    """LSTM 10 -> 20 and a per-step head 20 -> 3."""
    return SimpleLSTMModel(LSTM(10, 20, rng=0), Linear(20, 3, rng=1))


def simple_lstm_outputs(
    model: SimpleLSTMModel[Features, Hidden, Out], xs: Tensor[T, B, Features]
) -> Tensor[T, B, Out]:
    """Per-step outputs; the final ``(h, c)`` is ``[B, H]`` each."""
    hs, (_h, _c) = model.lstm.run(xs)
    return model.output_layer(hs)


def multi_layer_lstm() -> MultiLayerLSTM[Features, Hidden, Out]:
    """Two stacked LSTM layers, then the head."""
    layers: RecurrentStack[Features, Hidden] = RecurrentStack.build("LSTM", 10, 20, 2, rng=0)
    return MultiLayerLSTM(layers, Linear(20, 3, rng=1))


def lstm_classifier() -> LSTMClassifier[Features, Hidden, Out]:
    """Many-to-one LSTM classifier."""
    return LSTMClassifier(LSTM(10, 20, rng=0), Linear(20, 3, rng=1))


def lstm_classifier_probs(
    model: LSTMClassifier[Features, Hidden, Out], xs: Tensor[T, B, Features]
) -> Tensor[B, Out]:
    """Class probabilities from the final hidden state."""
    _, (h, _) = model.lstm.run(xs)
    return softmax(model.classifier(h))


def lstm_generator() -> LSTMGenerator[Vocab, Hidden]:
    """One-hot tokens -> linear embedding -> LSTM -> vocabulary logits."""
    return LSTMGenerator(Linear(64, 20, rng=0), LSTM(20, 20, rng=1), Linear(20, 64, rng=2))


def bilstm_model() -> BiLSTMModel[Features, Hidden, Out]:
    """Both directions, then a per-step head over ``H + H``."""
    return BiLSTMModel(BiLSTM(10, 20, rng=0), Linear(40, 3, rng=1))


def bilstm_outputs(
    model: BiLSTMModel[Features, Hidden, Out], xs: Tensor[T, B, Features]
) -> Tensor[T, B, Out]:
    """``[T, B, H + H]`` states into the head."""
    both: Tensor[T, B, Add[Hidden, Hidden]] = model.bilstm(xs)
    return model.output_layer(both)


def language_model() -> LSTMLanguageModel[Vocab, Hidden]:
    """Embedding, two LSTM layers, dropout 0.1, projection back to the vocabulary."""
    layers: RecurrentStack[Hidden, Hidden] = RecurrentStack.build("LSTM", 20, 20, 2, rng=1)
    return LSTMLanguageModel(Linear(64, 20, rng=0), layers, Linear(20, 64, rng=2), 0.1)


def language_model_logits(
    model: LSTMLanguageModel[Vocab, Hidden], onehot: Tensor[T, B, Vocab]
) -> Tensor[T, B, Vocab]:
    """Next-token logits (no dropout)."""
    return model.output_projection(model.layers(model.embedding(onehot)))


def attention_lstm() -> AttentionLSTM[Features, Hidden, Out]:
    """Encoder and decoder LSTMs, additive scores over ``[d_t; e_s]``, a head on ``H``."""
    return AttentionLSTM(
        LSTM(10, 20, rng=0), LSTM(10, 20, rng=1), Linear(40, 1, rng=2), Linear(20, 3, rng=3)
    )


def attention_score(
    model: AttentionLSTM[Features, Hidden, Out], d_t: Tensor[B, Hidden], e_s: Tensor[B, Hidden]
) -> Tensor[B, L[1]]:
    """One additive score: the decoder state and one encoder state, joined."""
    return model.attention_weights(concat([d_t, e_s], axis=-1))
