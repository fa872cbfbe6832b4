"""Seq2Seq parts (seed 000): the embedding and the RNN, LSTM and transformer encoders.

Every encoder's ``forward(x)`` returns ``((outputs [S, *B, H], decoder start state [*B, H]),
cache)`` and ``backward(cache, d_outputs, d_start)`` returns ``(grads, dL/dx)``, so the
models can swap them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from shapely_nn._shape import ShapeError
from shapely_nn._tensor import Tensor, array_of, require_tensor
from shapely_nn.guards import require_positive, require_rate, require_size
from shapely_nn.layers._base import Array, GradRecord, Layer, Rng, as_generator
from shapely_nn.layers._embedding import Embedding, EmbeddingGrads
from shapely_nn.layers._transformer import TransformerEncoderLayer
from shapely_nn.models._wiring import ModelGrads
from shapely_nn.modules._recurrent import LSTM, RNN

Vocab = TypeVar("Vocab", bound=int)
Embed = TypeVar("Embed", bound=int)
Hidden = TypeVar("Hidden", bound=int)
AnyTensor = Tensor[*tuple[Any, ...]]


def scale(p: float, a: Array) -> Array:
    """The seeds' ``dropout_inference_spec``: ``(1 - p) x``."""
    # asarray: a 0-d array times a scalar is a NumPy scalar, which a Tensor does not wrap
    out: Array = np.asarray(a * a.dtype.type(1.0 - p)) if p else a
    return out


def _check_rate(p: float) -> float:
    require_rate(dropout_rate=p)
    return float(p)


class _DropoutRate:
    """Mixin: a part whose ``dropout_rate`` field is checked when it is built (or replaced)."""

    dropout_rate: float

    def __post_init__(self) -> None:
        require_rate(dropout_rate=self.dropout_rate)


# ---- embedding ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Seq2SeqEmbedding(_DropoutRate, Layer, Generic[Vocab, Embed]):
    """Token table ``[Vocab, Embed]`` with deterministic dropout scaling (seed 000).

    ``ids [*S] -> [*S, Embed]`` (an out-of-range id gives the zero vector; not differentiable);
    ``forward_onehot``: ``[*S, Vocab] -> [*S, Embed]``, differentiable.
    """

    embedding: Embedding[Vocab, Embed]
    dropout_rate: float = 0.0

    @classmethod
    def init(
        cls, vocab: int, embed: int, *, dropout: float = 0.0, rng: Rng, dtype: Any = np.float32
    ) -> Seq2SeqEmbedding[Any, Any]:
        """Fresh table ``N(0, 1)`` as ``nn.Embedding``, seeded."""
        require_size(vocab=vocab, embed=embed)
        return Seq2SeqEmbedding(Embedding(vocab, embed, rng=rng, dtype=dtype), _check_rate(dropout))

    @property
    def vocab_size(self) -> int:
        """``Vocab``."""
        return self.embedding.vocab_size

    @property
    def embed_dim(self) -> int:
        """``Embed``."""
        return self.embedding.embed_dim

    def __call__(self, tokens: AnyTensor) -> AnyTensor:
        """Int ids: look up (zero rows out of range); float rows: one-hot path. Then scale."""
        require_tensor("Seq2SeqEmbedding", "tokens", tokens)
        if tokens.dtype.kind == "f":
            return self.forward_onehot(tokens)
        return Tensor(scale(self.dropout_rate, self.embedding(tokens).numpy()))

    def forward_onehot(self, onehot: AnyTensor) -> AnyTensor:
        """``x @ E`` on one-hot rows or token distributions, then scale by ``1 - p``."""
        require_tensor("Seq2SeqEmbedding", "onehot", onehot)
        return Tensor(scale(self.dropout_rate, self.embedding.forward_onehot(onehot).numpy()))

    def backward_onehot(
        self, onehot: AnyTensor, grad: AnyTensor
    ) -> tuple[EmbeddingGrads, AnyTensor]:
        """``dE = sum_t x_t (x) dY_t`` and ``dx = dY @ E^T`` (through the scaling)."""
        g = array_of("Seq2SeqEmbedding.backward", "grad", grad)
        scaled: AnyTensor = Tensor(scale(self.dropout_rate, g))
        return self.embedding.backward_onehot(onehot, scaled)

    def forward(self, onehot: AnyTensor) -> tuple[AnyTensor, AnyTensor]:
        """The one-hot path as a module: output and cache."""
        return self.forward_onehot(onehot), onehot

    def backward(self, cache: AnyTensor, grad: AnyTensor) -> tuple[ModelGrads, AnyTensor]:
        """Reverse of ``forward``; grads named like the parameters."""
        record, d_onehot = self.backward_onehot(cache, grad)
        return ModelGrads({"embedding": record}), d_onehot


# ---- encoders -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Seq2SeqRNNEncoder(_DropoutRate, Layer, Generic[Embed, Hidden]):
    """RNN over embedded tokens: ``[S, *B, Embed] -> ([S, *B, H], final h [*B, H])``."""

    rnn: RNN[Embed, Hidden]
    dropout_rate: float = 0.0

    @property
    def hidden_size(self) -> int:
        """``Hidden``."""
        return self.rnn.hidden_size

    def __call__(self, x: AnyTensor, h0: AnyTensor | None = None) -> tuple[AnyTensor, AnyTensor]:
        """Per-step hidden states and the final one (no cache kept)."""
        a = array_of("Seq2SeqRNNEncoder", "x", x)
        return self.rnn.run(Tensor(scale(self.dropout_rate, a)), h0)

    def encode(self, x: AnyTensor) -> tuple[AnyTensor, AnyTensor]:
        """Outputs and decoder start state, without a cache (the inference path)."""
        return self(x)

    def forward(
        self, x: AnyTensor, h0: AnyTensor | None = None
    ) -> tuple[tuple[AnyTensor, AnyTensor], Any]:
        """Outputs, decoder start state and the cache."""
        a = array_of("Seq2SeqRNNEncoder", "x", x)
        outputs, cache = self.rnn.forward(Tensor(scale(self.dropout_rate, a)), h0)
        return (outputs, cache.final_state[0]), cache

    def backward(
        self, cache: Any, grad_outputs: AnyTensor | None, grad_final: AnyTensor | None
    ) -> tuple[ModelGrads, AnyTensor]:
        """BPTT from the outputs' and the final state's gradients."""
        grads, dx, _ = self.rnn.backward_through_time(cache, grad_outputs, grad_final)
        return ModelGrads({"rnn": grads}), Tensor(scale(self.dropout_rate, dx.numpy()))


@dataclass(frozen=True, eq=False)
class Seq2SeqLSTMEncoder(_DropoutRate, Layer, Generic[Embed, Hidden]):
    """LSTM over embedded tokens: ``[S, *B, Embed] -> ([S, *B, H], h [*B, H], c [*B, H])``.

    As a Seq2Seq encoder it hands the final ``h`` to the RNN decoder.
    """

    lstm: LSTM[Embed, Hidden]
    dropout_rate: float = 0.0

    @property
    def hidden_size(self) -> int:
        """``Hidden``."""
        return self.lstm.hidden_size

    def __call__(
        self, x: AnyTensor, state: tuple[AnyTensor, AnyTensor] | None = None
    ) -> tuple[AnyTensor, AnyTensor, AnyTensor]:
        """Per-step hidden states, final ``h`` and final ``c`` (no cache kept)."""
        a = array_of("Seq2SeqLSTMEncoder", "x", x)
        outputs, (h, c) = self.lstm.run(Tensor(scale(self.dropout_rate, a)), state)
        return outputs, h, c

    def encode(self, x: AnyTensor) -> tuple[AnyTensor, AnyTensor]:
        """Outputs and decoder start state (final ``h``), without a cache (inference path)."""
        outputs, h, _ = self(x)
        return outputs, h

    def forward(self, x: AnyTensor) -> tuple[tuple[AnyTensor, AnyTensor], Any]:
        """Outputs, decoder start state (final ``h``) and the cache."""
        a = array_of("Seq2SeqLSTMEncoder", "x", x)
        outputs, cache = self.lstm.forward(Tensor(scale(self.dropout_rate, a)))
        return (outputs, cache.final_state[0]), cache

    def backward(
        self, cache: Any, grad_outputs: AnyTensor | None, grad_final: AnyTensor | None
    ) -> tuple[ModelGrads, AnyTensor]:
        """BPTT; the final cell state gets no gradient (the decoder reads ``h`` only)."""
        finals: tuple[AnyTensor, AnyTensor] | None = None
        if grad_final is not None:
            finals = (grad_final, Tensor(np.zeros_like(grad_final.numpy())))
        grads, dx, _ = self.lstm.backward_through_time(cache, grad_outputs, finals)
        return ModelGrads({"lstm": grads}), Tensor(scale(self.dropout_rate, dx.numpy()))


def sinusoidal_positions(length: int, dim: int, dtype: Any = np.float32) -> Array:
    """The transformer's fixed positional encoding, ``[length, dim]``."""
    require_size(length=length, dim=dim)
    position = np.arange(length)[:, None]
    rates = np.exp(-math.log(10000.0) * (np.arange(0, dim, 2) / dim))
    table = np.zeros((length, dim))
    table[:, 0::2] = np.sin(position * rates)
    table[:, 1::2] = np.cos(position * rates[: dim // 2])
    return table.astype(dtype)


@dataclass(frozen=True, eq=False)
class Seq2SeqTransformerEncoder(_DropoutRate, Layer, Generic[Embed]):
    """Post-norm transformer layers as a left fold: ``[S, *B, Embed] -> [S, *B, Embed]``.

    Guards ``seq_len > 0`` and ``embed > 0`` (seed 000). ``positional_encoding=True`` adds the
    sinusoidal table first (our addition: without it the encoder cannot see order); as a
    Seq2Seq encoder it hands the mean of its outputs to the decoder as the start state.
    """

    layers: tuple[TransformerEncoderLayer[Any, Any, Any], ...]
    dropout_rate: float = 0.0
    positional_encoding: bool = False

    @classmethod
    def init(
        cls,
        embed: int,
        heads: int,
        num_layers: int,
        *,
        rng: Rng,
        positional_encoding: bool = False,
        dtype: Any = np.float32,
    ) -> Seq2SeqTransformerEncoder[Any]:
        """``num_layers`` fresh layers with feed-forward width ``4 * embed`` (seed 000)."""
        require_size(embed=embed, heads=heads, num_layers=num_layers)
        gens = as_generator(rng).spawn(num_layers)
        layers = tuple(
            TransformerEncoderLayer(embed, heads, 4 * embed, rng=g, dtype=dtype) for g in gens
        )
        return Seq2SeqTransformerEncoder(layers, 0.0, positional_encoding)

    @property
    def hidden_size(self) -> int:
        """``Embed`` (the decoder's hidden size must equal it)."""
        return self.layers[0].embed_dim

    def _inputs(self, x: AnyTensor) -> Array:
        a = array_of("Seq2SeqTransformerEncoder", "x", x)
        if a.ndim < 2:
            raise ShapeError(f"Seq2SeqTransformerEncoder expects [S, *B, Embed], got {x.shape}")
        require_positive(seq_len=a.shape[0], embed=a.shape[-1])
        a = scale(self.dropout_rate, a)
        if self.positional_encoding:
            table = sinusoidal_positions(a.shape[0], a.shape[-1], a.dtype)
            a = a + table.reshape(a.shape[0], *([1] * (a.ndim - 2)), a.shape[-1])
        return a

    def __call__(self, x: AnyTensor) -> AnyTensor:
        """Every layer in turn."""
        return self.encode(x)[0]

    def encode(self, x: AnyTensor) -> tuple[AnyTensor, AnyTensor]:
        """Outputs and decoder start state (mean over time), without caches."""
        a = np.moveaxis(self._inputs(x), 0, -2)  # batch-first for the layers: [*B, S, E]
        for layer in self.layers:
            a = layer(Tensor(np.ascontiguousarray(a))).numpy()
        outputs = np.ascontiguousarray(np.moveaxis(a, -2, 0))
        return Tensor(outputs), Tensor(outputs.mean(axis=0))

    def forward(self, x: AnyTensor) -> tuple[tuple[AnyTensor, AnyTensor], Any]:
        """Outputs, decoder start state (mean over time) and the caches."""
        a = np.moveaxis(self._inputs(x), 0, -2)  # batch-first for the layers: [*B, S, E]
        caches = []
        for layer in self.layers:
            y, cache = layer.forward(Tensor(np.ascontiguousarray(a)))
            a = y.numpy()
            caches.append(cache)
        outputs = np.ascontiguousarray(np.moveaxis(a, -2, 0))
        return (Tensor(outputs), Tensor(outputs.mean(axis=0))), (tuple(caches), outputs.shape[0])

    def backward(
        self, cache: Any, grad_outputs: AnyTensor | None, grad_final: AnyTensor | None
    ) -> tuple[ModelGrads, AnyTensor]:
        """Reverse pass through the mean and every layer."""
        caches, steps = cache
        g: Array | None = None if grad_outputs is None else grad_outputs.numpy().copy()
        if grad_final is not None:
            spread = np.broadcast_to(grad_final.numpy() / steps, (steps, *grad_final.numpy().shape))
            g = spread.copy() if g is None else g + spread
        if g is None:
            raise ValueError("Seq2SeqTransformerEncoder.backward: no gradient given")
        gb = np.ascontiguousarray(np.moveaxis(g, 0, -2))
        records: list[GradRecord] = []
        for layer, layer_cache in zip(reversed(self.layers), reversed(caches), strict=True):
            record, d = layer.backward(layer_cache, Tensor(gb))
            gb = d.numpy()
            records.append(record)
        dx = scale(self.dropout_rate, np.ascontiguousarray(np.moveaxis(gb, -2, 0)))
        grads = {f"layers.{i}": r for i, r in enumerate(reversed(records))}
        return ModelGrads(grads), Tensor(dx)


Encoder = (
    Seq2SeqRNNEncoder[Any, Any] | Seq2SeqLSTMEncoder[Any, Any] | Seq2SeqTransformerEncoder[Any]
)


def make_encoder(
    kind: str,
    embed: int,
    hidden: int,
    *,
    rng: Rng,
    dtype: Any = np.float32,
    heads: int = 2,
    num_layers: int = 1,
) -> Encoder:
    """A fresh ``"rnn"``, ``"lstm"`` or ``"transformer"`` encoder from ``embed`` to ``hidden``."""
    require_size(embed=embed, hidden=hidden)
    if kind == "rnn":
        return Seq2SeqRNNEncoder(RNN(embed, hidden, rng=rng, dtype=dtype))
    if kind == "lstm":
        return Seq2SeqLSTMEncoder(LSTM(embed, hidden, rng=rng, dtype=dtype))
    if kind == "transformer":
        if hidden != embed:
            raise ShapeError(
                f"a transformer encoder keeps Embed = {embed}; the decoder's hidden size must "
                f"equal it, got {hidden}"
            )
        return Seq2SeqTransformerEncoder.init(
            embed, heads, num_layers, positional_encoding=True, rng=rng, dtype=dtype
        )
    raise ValueError(f"encoder must be 'rnn', 'lstm' or 'transformer', got {kind!r}")
