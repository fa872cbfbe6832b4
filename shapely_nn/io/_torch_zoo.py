"""``to_torch`` for the zoo models that are not chains, their parts, and the attention layers
without a ``torch.nn`` class of their own.

Each maps to a class of ``ZOO_SOURCE`` (``_torch_zoo_source.py``) holding the standard modules
of its parts, so the parameter layouts are the parts' own (``to_torch`` of the ``Linear``,
``Embedding``, ``RNN``/``LSTM``, ``RecurrentStack``, ``MultiHeadAttention`` and
``TransformerEncoderLayer`` inside).
"""

from __future__ import annotations

from typing import Any

from shapely_nn.io._torch import _torch_dtype, as_parameter, require_torch, to_torch
from shapely_nn.io._torch_compose import adapters
from shapely_nn.layers._attention import EncoderAttention, ScaledDotProductAttention
from shapely_nn.models._recurrent_models import AttentionLSTM, LSTMLanguageModel
from shapely_nn.models._seq2seq import AttentionSeq2Seq, Seq2Seq, Seq2SeqDecoder
from shapely_nn.models._seq2seq_parts import (
    Seq2SeqEmbedding,
    Seq2SeqLSTMEncoder,
    Seq2SeqRNNEncoder,
    Seq2SeqTransformerEncoder,
)


@to_torch.register
def _sdpa(module: ScaledDotProductAttention) -> Any:
    return adapters().ScaledDotProductAttention()


@to_torch.register
def _encoder_attention(module: EncoderAttention) -> Any:  # type: ignore[type-arg]
    torch = require_torch()
    projection = torch.nn.Linear(
        module.hidden_dim,
        module.hidden_dim,
        bias=False,
        dtype=_torch_dtype(torch, module.weight.dtype),
    )
    projection.weight = as_parameter(torch, module.weight)
    return adapters().EncoderAttention(projection)


@to_torch.register
def _lstm_language_model(module: LSTMLanguageModel) -> Any:  # type: ignore[type-arg]
    return adapters().LSTMLanguageModel(
        to_torch(module.embedding),
        to_torch(module.layers),
        to_torch(module.output_projection),
        float(module.dropout_rate),
    )


@to_torch.register
def _attention_lstm(module: AttentionLSTM) -> Any:  # type: ignore[type-arg]
    return adapters().AttentionLSTM(
        to_torch(module.encoder_lstm),
        to_torch(module.decoder_lstm),
        to_torch(module.attention_weights),
        to_torch(module.output_layer),
    )


@to_torch.register
def _seq2seq_embedding(module: Seq2SeqEmbedding) -> Any:  # type: ignore[type-arg]
    return adapters().Seq2SeqEmbedding(to_torch(module.embedding), float(module.dropout_rate))


@to_torch.register
def _rnn_encoder(module: Seq2SeqRNNEncoder) -> Any:  # type: ignore[type-arg]
    return adapters().Seq2SeqRNNEncoder(to_torch(module.rnn), float(module.dropout_rate))


@to_torch.register
def _lstm_encoder(module: Seq2SeqLSTMEncoder) -> Any:  # type: ignore[type-arg]
    return adapters().Seq2SeqLSTMEncoder(to_torch(module.lstm), float(module.dropout_rate))


@to_torch.register
def _transformer_encoder(module: Seq2SeqTransformerEncoder) -> Any:  # type: ignore[type-arg]
    return adapters().Seq2SeqTransformerEncoder(
        [to_torch(layer) for layer in module.layers],
        float(module.dropout_rate),
        bool(module.positional_encoding),
    )


@to_torch.register
def _decoder(module: Seq2SeqDecoder) -> Any:  # type: ignore[type-arg]
    return adapters().Seq2SeqDecoder(
        to_torch(module.rnn),
        to_torch(module.output_projection),
        None if module.attention is None else to_torch(module.attention),
        float(module.dropout_rate),
        bool(module.causal),
    )


@to_torch.register
def _seq2seq(module: Seq2Seq) -> Any:  # type: ignore[type-arg]
    return adapters().Seq2Seq(
        to_torch(module.src_embedding),
        to_torch(module.tgt_embedding),
        to_torch(module.encoder),
        to_torch(module.decoder),
    )


@to_torch.register
def _attention_seq2seq(module: AttentionSeq2Seq) -> Any:  # type: ignore[type-arg]
    return adapters().AttentionSeq2Seq(
        to_torch(module.src_embedding),
        to_torch(module.tgt_embedding),
        to_torch(module.encoder),
        to_torch(module.decoder),
        to_torch(module.attention),
    )
