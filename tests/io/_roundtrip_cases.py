"""One registry of every public module of ``shapely_nn.layers``, ``.modules`` and ``.models``.

Each case builds a small module and makes its inputs; the round-trip tests run every case
through ``to_torch``, ``save``/``load``, ``load_state_dict``, ``to_pytorch_source`` and
``from_torch``. ``COVERS`` / ``NOT_MODULES`` let a test check that every public name of those
packages is either covered here or excluded for a stated reason, so a new layer or model
cannot be left out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import shapely_nn as sn
from shapely_nn import layers as L, models as M, modules as N

T, S, B, IN, H, OUT, V = 4, 3, 2, 5, 6, 3, 7
E = 8  # attention width (2 heads)


def _randn(r: np.random.Generator, *shape: int) -> Any:
    return sn.tensor(r.standard_normal(shape).astype(np.float32))


def _onehot(r: np.random.Generator, vocab: int, *shape: int, dtype: Any = np.float32) -> Any:
    return sn.tensor(np.eye(vocab, dtype=dtype)[r.integers(0, vocab, size=shape)])


def _ids(r: np.random.Generator, vocab: int, *shape: int) -> Any:
    return sn.tensor(r.integers(0, vocab, size=shape))


def _seq(r: np.random.Generator) -> tuple[Any, ...]:
    return (_randn(r, T, B, IN),)


def _rows(r: np.random.Generator) -> tuple[Any, ...]:
    return (_randn(r, B, IN),)


def _attn_seq(r: np.random.Generator) -> tuple[Any, ...]:
    return (_randn(r, B, T, E),)


def _pair_onehot(r: np.random.Generator) -> tuple[Any, ...]:
    return ((_onehot(r, 5, S, B), _onehot(r, V, T, B)),)


def _first(y: Any) -> Any:
    return y[0]


@dataclass(frozen=True)
class Case:
    """``build()`` a module; ``inputs(rng)`` its positional arguments.

    ``call(module, *inputs)`` runs ours (default ``module(*inputs)``); ``torch_out`` picks the
    comparable part of the torch module's output (a recurrent module also returns its final
    state); ``no_torch`` is the message of the ``TypeError`` a module without a PyTorch form
    raises; ``covers`` are the public names the case stands for (default: its key).
    """

    build: Callable[[], Any]
    inputs: Callable[[np.random.Generator], tuple[Any, ...]]
    call: Callable[..., Any] | None = None
    torch_out: Callable[[Any], Any] | None = None
    no_torch: str | None = None
    covers: tuple[str, ...] = field(default_factory=tuple)

    def run(self, module: Any, inputs: tuple[Any, ...]) -> Any:
        """Our module's output on ``inputs``."""
        return self.call(module, *inputs) if self.call else module(*inputs)


def _with_dropout(model: Any) -> Any:
    """The model with the seeds' inference dropout on every embedding and input."""
    return dataclasses.replace(
        model,
        src_embedding=dataclasses.replace(model.src_embedding, dropout_rate=0.1),
        tgt_embedding=dataclasses.replace(model.tgt_embedding, dropout_rate=0.2),
        encoder=dataclasses.replace(model.encoder, dropout_rate=0.3),
        decoder=dataclasses.replace(model.decoder, dropout_rate=0.4),
    )


def _decoder_call(module: Any, x: Any, h0: Any) -> Any:
    return module.forward_teacher_forcing(x, h0)


def _decoder_inputs(r: np.random.Generator) -> tuple[Any, ...]:
    return (_randn(r, T, B, E), _randn(r, B, H))


CASES: dict[str, Case] = {
    # ---- shapely_nn.layers ----
    "Linear": Case(lambda: L.Linear(IN, OUT, rng=0), _rows),
    "Embedding": Case(lambda: L.Embedding(V, IN, rng=0), lambda r: (_ids(r, V, T, B),)),
    "Tanh": Case(L.Tanh, _rows),
    "ReLU": Case(L.ReLU, _rows),
    "Sigmoid": Case(L.Sigmoid, _rows),
    "GELU": Case(L.GELU, _rows),
    "GELU(tanh)": Case(lambda: L.GELU(approximate="tanh"), _rows, covers=("GELU",)),
    "Softmax": Case(L.Softmax, _rows),
    "LogSoftmax": Case(lambda: L.LogSoftmax(axis=0), _rows),
    "Dropout": Case(lambda: L.Dropout(0.3, inference="identity"), _rows),
    "Dropout(p=0)": Case(lambda: L.Dropout(0.0), _rows, covers=("Dropout",)),
    "Dropout(spec)": Case(
        lambda: L.Dropout(0.3),
        _rows,
        no_torch="scales by \\(1 - p\\) at inference",
        covers=("Dropout",),
    ),
    "LayerNorm": Case(lambda: L.LayerNorm(IN), _rows),
    "RNNCell": Case(lambda: L.RNNCell(IN, H, rng=0), lambda r: (_randn(r, B, IN), _randn(r, B, H))),
    "GRUCell": Case(lambda: L.GRUCell(IN, H, rng=0), lambda r: (_randn(r, B, IN), _randn(r, B, H))),
    "LSTMCell": Case(
        lambda: L.LSTMCell(IN, H, rng=0),
        lambda r: (_randn(r, B, IN), (_randn(r, B, H), _randn(r, B, H))),
    ),
    "MultiHeadAttention": Case(
        lambda: L.MultiHeadAttention(E, 2, rng=0),
        lambda r: (_randn(r, B, T, E), _randn(r, B, S, E), _randn(r, B, S, E)),
        torch_out=_first,
    ),
    "ScaledDotProductAttention": Case(
        L.ScaledDotProductAttention,
        lambda r: (_randn(r, B, T, IN), _randn(r, B, S, IN), _randn(r, B, S, H)),
    ),
    "EncoderAttention": Case(
        lambda: L.EncoderAttention(H, rng=0), lambda r: (_randn(r, B, H), _randn(r, B, S, H))
    ),
    "TransformerEncoderLayer": Case(lambda: L.TransformerEncoderLayer(E, 2, 16, rng=0), _attn_seq),
    "TransformerDecoderLayer": Case(
        lambda: L.TransformerDecoderLayer(E, 2, 16, activation="gelu", rng=0),
        lambda r: (_randn(r, B, T, E), _randn(r, B, S, E)),
    ),
    # ---- shapely_nn.modules ----
    "RNN": Case(lambda: N.RNN(IN, H, rng=0), _seq, torch_out=_first),
    "LSTM": Case(lambda: N.LSTM(IN, H, rng=0), _seq, torch_out=_first),
    "GRU": Case(lambda: N.GRU(IN, H, rng=0), _seq, torch_out=_first),
    "BiRNN": Case(lambda: N.BiRNN(IN, H, rng=0), _seq, torch_out=_first),
    "BiLSTM": Case(lambda: N.BiLSTM(IN, H, rng=0), _seq, torch_out=_first),
    "BiGRU": Case(lambda: N.BiGRU(IN, H, rng=0), _seq, torch_out=_first),
    "Bidirectional": Case(
        lambda: N.Bidirectional(N.GRU(IN, H, rng=0), N.GRU(IN, H, rng=1)), _seq, torch_out=_first
    ),
    "RecurrentStack": Case(
        lambda: N.RecurrentStack.build("GRU", IN, H, 2, rng=0, bidirectional=True),
        _seq,
        torch_out=_first,
    ),
    "Chain": Case(lambda: N.Chain([L.Linear(IN, H, rng=0), L.Tanh()]), _rows),
    "Parallel+Concat": Case(
        lambda: (L.Linear(IN, 2, rng=0) @ L.Linear(H, 3, rng=1)) >> N.Concat(),
        lambda r: ((_randn(r, B, IN), _randn(r, B, H)),),
        covers=("Parallel", "Concat"),
    ),
    "fan": Case(
        lambda: N.fan(lambda g: L.Linear(IN, 2, rng=g), 3, rng=0), _rows, covers=("fan", "Fan")
    ),
    "residual": Case(
        lambda: N.residual(L.Linear(IN, IN, rng=0) >> L.Tanh()),
        _rows,
        covers=("residual", "Residual"),
    ),
    "stack": Case(
        lambda: N.stack(lambda g: N.residual(L.Linear(IN, IN, rng=g)), 2, rng=0),
        _rows,
        covers=("stack", "Stack"),
    ),
    # ---- shapely_nn.models ----
    "Last": Case(M.Last, _seq),
    "Columns": Case(M.Columns, lambda r: (_ids(r, V, B, 2),)),
    "Kernel": Case(lambda: M.Kernel.init(IN, OUT, scale=0.5, rng=0), _rows),
    "Embed": Case(lambda: M.Embed(L.Embedding(V, IN, rng=0)), lambda r: (_ids(r, V, B),)),
    "CategoricalHead": Case(lambda: M.CategoricalHead(M.Kernel.init(IN, V, rng=0)), _rows),
    "quivers_seq2seq": Case(
        lambda: M.quivers_seq2seq(
            source=V, target=V, latent=8, head_out=2, ff_hidden=8, heads=4, rng=0
        ),
        lambda r: (_ids(r, V, B, 2),),
    ),
    "SimpleRNNModel": Case(lambda: M.SimpleRNNModel.init(IN, H, OUT, rng=0), _seq),
    "MultiLayerRNN": Case(lambda: M.MultiLayerRNN.init(IN, H, OUT, 2, rng=0), _seq),
    "RNNClassifier": Case(lambda: M.RNNClassifier.init(IN, H, OUT, rng=0), _seq),
    "RNNGenerator": Case(
        lambda: M.RNNGenerator.init(V, H, rng=0), lambda r: (_onehot(r, V, T, B),)
    ),
    "BiRNNModel": Case(lambda: M.BiRNNModel.init(IN, H, OUT, rng=0), _seq),
    "SimpleLSTMModel": Case(lambda: M.SimpleLSTMModel.init(IN, H, OUT, rng=0), _seq),
    "MultiLayerLSTM": Case(lambda: M.MultiLayerLSTM.init(IN, H, OUT, 2, rng=0), _seq),
    "LSTMClassifier": Case(lambda: M.LSTMClassifier.init(IN, H, OUT, rng=0), _seq),
    "LSTMGenerator": Case(
        lambda: M.LSTMGenerator.init(V, H, rng=0), lambda r: (_onehot(r, V, T, B),)
    ),
    "BiLSTMModel": Case(lambda: M.BiLSTMModel.init(IN, H, OUT, rng=0), _seq),
    "LSTMLanguageModel": Case(
        lambda: M.LSTMLanguageModel.init(V, H, 2, dropout=0.25, rng=0),
        lambda r: (_onehot(r, V, T, B),),
    ),
    "LSTMLanguageModel(1 layer)": Case(
        lambda: M.LSTMLanguageModel.init(V, H, 1, rng=0),
        lambda r: (_onehot(r, V, T),),
        covers=("LSTMLanguageModel",),
    ),
    "AttentionLSTM": Case(
        lambda: M.AttentionLSTM.init(IN, H, OUT, rng=0),
        lambda r: ((_randn(r, S, B, IN), _randn(r, T, B, IN)),),
    ),
    "Seq2SeqEmbedding": Case(
        lambda: M.Seq2SeqEmbedding.init(V, E, dropout=0.1, rng=0),
        lambda r: (_onehot(r, V, T, B),),
    ),
    "Seq2SeqEmbedding(ids)": Case(
        lambda: M.Seq2SeqEmbedding.init(V, E, dropout=0.1, rng=0),
        lambda r: (sn.tensor(np.array([[0, 3], [V - 1, V], [-1, 2]])),),  # 2 ids out of range
        covers=("Seq2SeqEmbedding",),
    ),
    "Seq2SeqRNNEncoder": Case(
        lambda: M.Seq2SeqRNNEncoder(N.RNN(E, H, rng=0), 0.2),
        lambda r: (_randn(r, S, B, E), _randn(r, B, H)),
    ),
    "Seq2SeqLSTMEncoder": Case(
        lambda: M.Seq2SeqLSTMEncoder(N.LSTM(E, H, rng=0), 0.2),
        lambda r: (_randn(r, S, B, E), (_randn(r, B, H), _randn(r, B, H))),
    ),
    "Seq2SeqTransformerEncoder": Case(
        lambda: M.Seq2SeqTransformerEncoder.init(E, 2, 2, positional_encoding=True, rng=0),
        lambda r: (_randn(r, S, B, E),),
    ),
    "make_encoder(transformer, unbatched)": Case(
        lambda: M.make_encoder("transformer", E, E, rng=0),
        lambda r: (_randn(r, S, E),),
        covers=("make_encoder", "Seq2SeqTransformerEncoder"),
    ),
    "Seq2SeqDecoder": Case(
        lambda: M.Seq2SeqDecoder.init(E, H, V, rng=0), _decoder_inputs, call=_decoder_call
    ),
    "Seq2SeqDecoder(causal attention)": Case(
        lambda: M.Seq2SeqDecoder.init(E, H, V, heads=2, causal=True, rng=0),
        _decoder_inputs,
        call=_decoder_call,
        covers=("Seq2SeqDecoder",),
    ),
    "Seq2Seq(rnn)": Case(
        lambda: M.Seq2Seq.init(5, V, E, H, rng=0), _pair_onehot, covers=("Seq2Seq",)
    ),
    "Seq2Seq(lstm, attention, dropout)": Case(
        lambda: _with_dropout(M.Seq2Seq.init(5, V, E, H, encoder="lstm", heads=2, rng=0)),
        _pair_onehot,
        covers=("Seq2Seq",),
    ),
    "Seq2Seq(transformer, causal)": Case(
        lambda: M.Seq2Seq.init(5, V, E, E, encoder="transformer", heads=2, causal=True, rng=0),
        _pair_onehot,
        covers=("Seq2Seq",),
    ),
    "AttentionSeq2Seq(rnn, dropout)": Case(
        lambda: _with_dropout(M.AttentionSeq2Seq.init(5, V, E, H, rng=0)),
        _pair_onehot,
        covers=("AttentionSeq2Seq",),
    ),
    "AttentionSeq2Seq(lstm)": Case(
        lambda: M.AttentionSeq2Seq.init(5, V, E, H, encoder="lstm", rng=0),
        _pair_onehot,
        covers=("AttentionSeq2Seq",),
    ),
    "AttentionSeq2Seq(transformer)": Case(
        lambda: M.AttentionSeq2Seq.init(5, V, E, E, encoder="transformer", rng=0),
        _pair_onehot,
        covers=("AttentionSeq2Seq",),
    ),
    "rnn_seq2seq_chain": Case(lambda: M.rnn_seq2seq_chain(IN, H, OUT, rng=0), _seq),
    "rnn_classifier_chain": Case(lambda: M.rnn_classifier_chain(IN, H, OUT, rng=0), _seq),
    "two_layer_rnn_chain": Case(lambda: M.two_layer_rnn_chain(IN, H, OUT, rng=0), _seq),
    "rnn_lm_chain": Case(lambda: M.rnn_lm_chain(V, H, rng=0), lambda r: (_onehot(r, V, T, B),)),
    "bilstm_classifier_chain": Case(lambda: M.bilstm_classifier_chain(IN, H, OUT, rng=0), _seq),
    "lstm_seq2seq_chain": Case(lambda: M.lstm_seq2seq_chain(IN, H, OUT, rng=0), _seq),
    "lstm_classifier_chain": Case(lambda: M.lstm_classifier_chain(IN, H, OUT, rng=0), _seq),
    "two_layer_lstm_chain": Case(lambda: M.two_layer_lstm_chain(IN, H, OUT, rng=0), _seq),
    "lstm_lm_chain": Case(lambda: M.lstm_lm_chain(V, H, rng=0), lambda r: (_onehot(r, V, T, B),)),
    "float64 Seq2Seq": Case(
        lambda: M.Seq2Seq.init(5, V, E, H, encoder="lstm", heads=2, rng=0, dtype=np.float64),
        lambda r: ((_onehot(r, 5, S, B, dtype=np.float64), _onehot(r, V, T, B, dtype=np.float64)),),
        covers=("Seq2Seq",),
    ),
}

NOT_MODULES: dict[str, str] = {
    # base classes and protocols: every concrete subclass has a case
    "Layer": "base class of every layer",
    "Module": "a typing Protocol",
    "LeadModule": "a typing Protocol",
    "AnyLead": "a static marker of what a part does to the leading dims",
    "SameLead": "a static marker of what a part does to the leading dims",
    "ChainModel": "base class of the record models (each has a case)",
    # a record of a forward pass (gradient records are skipped by the test), not a module
    "RecurrentCache": "forward cache",
    # array functions: the functional forms of layers with cases
    "apply_attention": "function of EncoderAttention's computation",
    "compute_attention_weights": "function of EncoderAttention's computation",
    "scaled_dot_product_attention": "function form of ScaledDotProductAttention",
    "dropout_inference_spec": "function form of Dropout(inference='spec')",
    "sinusoidal_positions": "a table (covered inside Seq2SeqTransformerEncoder)",
    "next_token_nll": "a loss",
    "greedy_accuracy": "a metric",
    "log_probs": "a function on logits",
}


def covered_names() -> set[str]:
    """Every public name some case stands for."""
    out: set[str] = set()
    for key, case in CASES.items():
        out.update(case.covers or (key,))
    return out
