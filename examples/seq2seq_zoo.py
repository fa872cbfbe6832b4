"""Seed 000's encoder-decoders as typed definitions.

The models take one-hot or id tensors loosely; their parts are typed, so the wiring (the
decoder reads the target embedding size, projects its hidden state to the target
vocabulary, the attention reads the encoder's hidden size) is checked here.
"""

from __future__ import annotations

from typing import Literal as L, TypeVar

from shapely_nn import Tensor
from shapely_nn.layers import Embedding, EncoderAttention, Linear
from shapely_nn.models import (
    AttentionSeq2Seq,
    Seq2Seq,
    Seq2SeqDecoder,
    Seq2SeqEmbedding,
    Seq2SeqLSTMEncoder,
    Seq2SeqRNNEncoder,
)
from shapely_nn.modules import LSTM, RNN

T = TypeVar("T", bound=int)
S = TypeVar("S", bound=int)
B = TypeVar("B", bound=int)

SrcVocab = L[12]
TgtVocab = L[10]
Embed = L[16]
Hidden = L[32]


def decoder() -> Seq2SeqDecoder[Embed, Hidden, TgtVocab]:
    """RNN 16 -> 32 over target embeddings, projection 32 -> 10 target tokens."""
    return Seq2SeqDecoder(RNN(16, 32, rng=3), Linear(32, 10, rng=4))


def seq2seq() -> Seq2Seq[TgtVocab, Embed, Hidden]:
    """Embeddings for both vocabularies, an RNN encoder, the RNN decoder."""
    return Seq2Seq(
        Seq2SeqEmbedding(Embedding(12, 16, rng=0)),
        Seq2SeqEmbedding(Embedding(10, 16, rng=1)),
        Seq2SeqRNNEncoder(RNN(16, 32, rng=2)),
        decoder(),
    )


def lstm_seq2seq() -> Seq2Seq[TgtVocab, Embed, Hidden]:
    """The same with an LSTM encoder (the reverse-sequence task's model)."""
    return Seq2Seq(
        Seq2SeqEmbedding(Embedding(12, 16, rng=0)),
        Seq2SeqEmbedding(Embedding(10, 16, rng=1)),
        Seq2SeqLSTMEncoder(LSTM(16, 32, rng=2)),
        decoder(),
    )


def attention_seq2seq() -> AttentionSeq2Seq[TgtVocab, Embed, Hidden]:
    """Seq2Seq plus the seeds' attention over the encoder outputs (hidden size 32)."""
    return AttentionSeq2Seq(
        Seq2SeqEmbedding(Embedding(12, 16, rng=0)),
        Seq2SeqEmbedding(Embedding(10, 16, rng=1)),
        Seq2SeqRNNEncoder(RNN(16, 32, rng=2)),
        decoder(),
        EncoderAttention(32, rng=5),
    )


def decoder_step_logits(
    model: Seq2Seq[TgtVocab, Embed, Hidden], embedded: Tensor[T, B, Embed]
) -> Tensor[T, B, TgtVocab]:
    """Teacher forcing through the typed parts: target embeddings -> RNN -> projection."""
    return model.decoder.output_projection(model.decoder.rnn(embedded))


def attend(
    model: AttentionSeq2Seq[TgtVocab, Embed, Hidden],
    state: Tensor[B, Hidden],
    encoder_outputs: Tensor[B, S, Hidden],
) -> Tensor[B, TgtVocab]:
    """One attention step: context from the encoder outputs, added to the state, projected."""
    context, _ = model.attention(state, encoder_outputs)
    return model.decoder.output_projection(state + context)
