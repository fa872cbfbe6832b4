"""The seeds' SpecChains and the quivers program, typed with the combinators.

``a >> b`` is ``Chain[X, Z]`` when ``a`` maps ``X -> Y`` features and ``b`` maps ``Y -> Z``;
``fan(head, n)`` has ``n * Out`` output features; ``stack(block, n)`` needs ``X -> X`` blocks.
The zoo's ``*_chain`` builders carry their sizes, so literal arguments give literal types.
"""

from __future__ import annotations

from typing import Any, Literal as L, TypeVar

import numpy as np

from shapely_nn import Tensor
from shapely_nn.layers import Embedding, Linear, ReLU
from shapely_nn.models import (
    bilstm_classifier_chain,
    lstm_classifier_chain,
    lstm_lm_chain,
    lstm_seq2seq_chain,
    quivers_seq2seq,
    rnn_classifier_chain,
    rnn_lm_chain,
    rnn_seq2seq_chain,
    two_layer_lstm_chain,
    two_layer_rnn_chain,
)
from shapely_nn.modules import (
    LSTM,
    RNN,
    Chain,
    Fan,
    Parallel,
    Residual,
    Stack,
    fan,
    residual,
    stack,
)

T = TypeVar("T", bound=int)
B = TypeVar("B", bound=int)

Latent = L[16]


def seed_chains() -> tuple[Chain[L[8], L[4]], Chain[L[8], L[3]], Chain[L[30], L[30]]]:
    """Seq2seq, classifier and language-model chains of seeds 001 and 002."""
    # Built where the declared type is known: pyright keeps the literal sizes then (a plain
    # variable first would be Chain[int, int] to it; mypy keeps them either way).
    return (
        rnn_seq2seq_chain(8, 32, 4, rng=0),
        lstm_classifier_chain(8, 32, 3, rng=1),
        lstm_lm_chain(30, 32, rng=2),
    )


def more_chains() -> list[Chain[Any, Any]]:
    """The remaining builders (sizes from run-time ints: typed ``Any``)."""
    n = 16
    return [
        rnn_classifier_chain(n, 32, 3, rng=0),
        two_layer_rnn_chain(n, 32, 4, rng=1),
        rnn_lm_chain(n, 32, rng=2),
        bilstm_classifier_chain(n, 32, 3, rng=3),
        lstm_seq2seq_chain(n, 32, 4, rng=4),
        two_layer_lstm_chain(n, 32, 4, rng=5),
    ]


def handwritten_chain() -> Chain[L[8], L[5]]:
    """The same wiring by hand: each ``>>`` is checked, the result type is computed."""
    return RNN(8, 32, rng=0) >> LSTM(32, 32, rng=1) >> Linear(32, 5, rng=2)


def run_chain(model: Chain[L[8], L[5]], xs: Tensor[T, B, L[8]]) -> Tensor[Any, Any, L[5]]:
    """A chain maps the last axis; its leading dims are not tracked."""
    return model(xs)


def attention_heads(rng: np.random.Generator) -> Fan[Latent, Latent]:
    """Four heads of 4 features each: ``Mul[4, 4] = 16`` = the latent size."""
    return fan(lambda g: Linear(16, 4, rng=g), 4, rng=rng)


def encoder_block(rng: np.random.Generator) -> Chain[Latent, Latent]:
    """Seed 003's block: fan(head) >> attn_proj, then a residual feed-forward."""
    g = rng.spawn(3)
    feed_forward = Linear(16, 32, rng=g[1]) >> ReLU() >> Linear(32, 16, rng=g[2])
    ff: Residual[Latent] = residual(feed_forward)
    return attention_heads(g[0]) >> Linear(16, 16, rng=g[0]) >> ff


def encoder() -> Chain[Any, Latent]:
    """``src_embed >> stack(enc_block, 2)``: ids in, latent features out."""
    blocks: Stack[Latent] = stack(encoder_block, 2, rng=1)
    return Embedding(32, 16, rng=0) >> blocks


def encoder_decoder() -> Parallel[Any, Latent, Any, Latent]:
    """``encoder @ decoder``: a pair of id sequences to a pair of latent sequences."""
    return encoder() @ encoder()


def quivers_model() -> Chain[Any, Any]:
    """The zoo's quivers program (columns, ``encoder @ decoder``, concat, cross, lm head)."""
    return quivers_seq2seq(rng=0)
