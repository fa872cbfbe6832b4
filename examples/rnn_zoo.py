"""The RNN zoo of seed 001 as typed definitions: every size is in the model's type.

Each builder returns the record model with literal sizes; each ``*_outputs`` function runs
the model through its typed parts, so the plugin checks every hand-off (time-major
``[T, B, features]`` sequences).
"""

from __future__ import annotations

from typing import Literal as L, TypeVar

from shapely_nn import Add, Tensor
from shapely_nn.layers import Linear
from shapely_nn.models import (
    BiRNNModel,
    MultiLayerRNN,
    RNNClassifier,
    RNNGenerator,
    SimpleRNNModel,
)
from shapely_nn.modules import RNN, BiRNN, RecurrentStack

T = TypeVar("T", bound=int)
B = TypeVar("B", bound=int)

Features = L[8]
Hidden = L[32]
Classes = L[4]
Vocab = L[50]


def simple_rnn() -> SimpleRNNModel[Features, Hidden, Classes]:
    """RNN 8 -> 32 and a per-step head 32 -> 4 (seed 001's SpecChain seq2seq)."""
    return SimpleRNNModel(RNN(8, 32, rng=0), Linear(32, 4, rng=1))


def simple_rnn_outputs(
    model: SimpleRNNModel[Features, Hidden, Classes], xs: Tensor[T, B, Features]
) -> Tensor[T, B, Classes]:
    """Per-step outputs."""
    return model.output_layer(model.rnn(xs))


def multi_layer_rnn() -> MultiLayerRNN[Features, Hidden, Classes]:
    """Two stacked RNN layers, then the head."""
    layers: RecurrentStack[Features, Hidden] = RecurrentStack.build("RNN", 8, 32, 2, rng=0)
    return MultiLayerRNN(layers, Linear(32, 4, rng=1))


def multi_layer_rnn_outputs(
    model: MultiLayerRNN[Features, Hidden, Classes], xs: Tensor[T, B, Features]
) -> Tensor[T, B, Classes]:
    """Per-step outputs of the stack's last layer through the head."""
    return model.output_layer(model.layers(xs))


def rnn_classifier() -> RNNClassifier[Features, Hidden, Classes]:
    """Many-to-one: the final hidden state into a 4-way classifier."""
    return RNNClassifier(RNN(8, 32, rng=0), Linear(32, 4, rng=1))


def rnn_classifier_logits(
    model: RNNClassifier[Features, Hidden, Classes], xs: Tensor[T, B, Features]
) -> Tensor[B, Classes]:
    """Class logits from the last step."""
    _, final = model.rnn.run(xs)
    return model.classifier(final)


def rnn_generator() -> RNNGenerator[Vocab, Hidden]:
    """One-hot tokens -> linear embedding -> RNN -> vocabulary logits."""
    return RNNGenerator(Linear(50, 32, rng=0), RNN(32, 32, rng=1), Linear(32, 50, rng=2))


def rnn_generator_logits(
    model: RNNGenerator[Vocab, Hidden], onehot: Tensor[T, B, Vocab]
) -> Tensor[T, B, Vocab]:
    """Next-token logits at every step."""
    return model.output_projection(model.rnn(model.embedding(onehot)))


def bi_rnn() -> BiRNNModel[Features, Hidden, Classes]:
    """Both directions, then a head over ``H + H`` features."""
    return BiRNNModel(BiRNN(8, 32, rng=0), Linear(64, 4, rng=1))


def bi_rnn_outputs(
    model: BiRNNModel[Features, Hidden, Classes], xs: Tensor[T, B, Features]
) -> Tensor[T, B, Classes]:
    """Per-step outputs from the joined directions."""
    both: Tensor[T, B, Add[Hidden, Hidden]] = model.birnn(xs)
    return model.output_layer(both)
