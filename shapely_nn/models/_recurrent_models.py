"""The RNN and LSTM zoo of seeds 001 and 002, wired from the layers and combinators.

Time-major throughout: sequences are ``[T, *B, features]``. Each record model is a frozen
dataclass of parts (the seeds' field names) with ``__call__``, ``forward``/``backward`` and
grads named like its parameters. The ``*_chain`` functions build the seeds' SpecChains with
``>>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, TypeVar

import numpy as np

from shapely_nn import functional
from shapely_nn._shape import ShapeError
from shapely_nn._tensor import Tensor, array_of, require_tensor, require_tensors
from shapely_nn.guards import (
    require_index,
    require_int,
    require_positive_number,
    require_rate,
    require_size,
)
from shapely_nn.layers._base import Layer, Rng, as_generator
from shapely_nn.layers._dropout import Dropout
from shapely_nn.layers._linear import Linear
from shapely_nn.models._wiring import ChainModel, Last, ModelGrads
from shapely_nn.modules._bidirectional import BiLSTM, BiRNN
from shapely_nn.modules._compose import Chain
from shapely_nn.modules._recurrent import LSTM, RNN
from shapely_nn.modules._stacked import RecurrentStack
from shapely_nn.train._losses import mse
from shapely_nn_dims import Add

In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)
Out = TypeVar("Out", bound=int)
Vocab = TypeVar("Vocab", bound=int)
C = TypeVar("C", bound=int)
AnyTensor = Tensor[*tuple[Any, ...]]


def _split(rng: Rng, n: int, **sizes: int) -> list[np.random.Generator]:
    """``n`` generators from ``rng``, after checking the caller's sizes (named as it names them)."""
    require_size(**sizes)
    return as_generator(rng).spawn(n)


# ---- SpecChains (seeds 001, 002) ----------------------------------------------------------


def rnn_seq2seq_chain(input_size: In, hidden: H, output: Out, *, rng: Rng) -> Chain[In, Out]:
    """RNN over the inputs, then a per-step linear map: ``[T, In] -> [T, Out]``."""
    a, b = _split(rng, 2, input_size=input_size, hidden=hidden, output=output)
    return RNN(input_size, hidden, rng=a) >> Linear(hidden, output, rng=b)


def rnn_classifier_chain(input_size: In, hidden: H, classes: C, *, rng: Rng) -> Chain[In, C]:
    """Many-to-one: RNN, final hidden state, linear head: ``[T, In] -> [Classes]``."""
    a, b = _split(rng, 2, input_size=input_size, hidden=hidden, classes=classes)
    return Chain([RNN(input_size, hidden, rng=a), Last(), Linear(hidden, classes, rng=b)])


def two_layer_rnn_chain(input_size: In, hidden: H, output: Out, *, rng: Rng) -> Chain[In, Out]:
    """Two RNN layers (the second reads the first's hidden stream), per-step linear."""
    a, b, c = _split(rng, 3, input_size=input_size, hidden=hidden, output=output)
    return Chain(
        [RNN(input_size, hidden, rng=a), RNN(hidden, hidden, rng=b), Linear(hidden, output, rng=c)]
    )


def rnn_lm_chain(vocab: Vocab, hidden: H, *, rng: Rng) -> Chain[Vocab, Vocab]:
    """Embedding as a linear map on one-hot tokens, RNN core, projection to the vocabulary."""
    a, b, c = _split(rng, 3, vocab=vocab, hidden=hidden)
    return Chain(
        [Linear(vocab, hidden, rng=a), RNN(hidden, hidden, rng=b), Linear(hidden, vocab, rng=c)]
    )


def bilstm_classifier_chain(input_size: In, hidden: H, classes: C, *, rng: Rng) -> Chain[In, C]:
    """BiLSTM, last step of ``[h_fwd; h_bwd]``, linear head over ``H + H``."""
    a, b = _split(rng, 2, input_size=input_size, hidden=hidden, classes=classes)
    return Chain([BiLSTM(input_size, hidden, rng=a), Last(), Linear(2 * hidden, classes, rng=b)])


def lstm_seq2seq_chain(input_size: In, hidden: H, output: Out, *, rng: Rng) -> Chain[In, Out]:
    """LSTM over time, then a per-step linear head: ``[T, In] -> [T, Out]``."""
    a, b = _split(rng, 2, input_size=input_size, hidden=hidden, output=output)
    return LSTM(input_size, hidden, rng=a) >> Linear(hidden, output, rng=b)


def lstm_classifier_chain(input_size: In, hidden: H, classes: C, *, rng: Rng) -> Chain[In, C]:
    """Many-to-one LSTM: final hidden state into a linear head."""
    a, b = _split(rng, 2, input_size=input_size, hidden=hidden, classes=classes)
    return Chain([LSTM(input_size, hidden, rng=a), Last(), Linear(hidden, classes, rng=b)])


def two_layer_lstm_chain(input_size: In, hidden: H, output: Out, *, rng: Rng) -> Chain[In, Out]:
    """Two LSTM layers, then a per-step linear head."""
    a, b, c = _split(rng, 3, input_size=input_size, hidden=hidden, output=output)
    return Chain(
        [
            LSTM(input_size, hidden, rng=a),
            LSTM(hidden, hidden, rng=b),
            Linear(hidden, output, rng=c),
        ]
    )


def lstm_lm_chain(vocab: Vocab, hidden: H, *, rng: Rng) -> Chain[Vocab, Vocab]:
    """Embedding (linear on one-hot), LSTM core, projection to vocabulary logits."""
    a, b, c = _split(rng, 3, vocab=vocab, hidden=hidden)
    return Chain(
        [Linear(vocab, hidden, rng=a), LSTM(hidden, hidden, rng=b), Linear(hidden, vocab, rng=c)]
    )


# ---- record models ------------------------------------------------------------------------


def _step(core: Any, x_t: AnyTensor, state: Any) -> tuple[AnyTensor, Any]:
    """One time step of a sequence module: ``[*B, In] -> [*B, H]`` and the new state."""
    y, state = core.run(Tensor(array_of("step", "x", x_t)[None]), state)
    return Tensor(y.numpy()[0]), state


@dataclass(frozen=True, eq=False)
class SimpleRNNModel(ChainModel, Generic[In, H, Out]):
    """RNN with a per-step linear head: ``[T, *B, In] -> [T, *B, Out]`` (seed 001)."""

    rnn: RNN[In, H]
    output_layer: Linear[H, Out]
    steps: ClassVar[tuple[str | Layer, ...]] = ("rnn", "output_layer")

    @classmethod
    def init(
        cls, input_size: int, hidden: int, output: int, *, rng: Rng
    ) -> SimpleRNNModel[Any, Any, Any]:
        """Fresh parameters, seeded."""
        a, b = _split(rng, 2, input_size=input_size, hidden=hidden, output=output)
        return SimpleRNNModel(RNN(input_size, hidden, rng=a), Linear(hidden, output, rng=b))

    def step(self, x: AnyTensor, h: AnyTensor | None = None) -> tuple[AnyTensor, AnyTensor]:
        """One step: ``[*B, In], [*B, H] -> ([*B, Out], [*B, H])``."""
        h_next, _ = _step(self.rnn, x, h)
        return self.output_layer(h_next), h_next

    def run(self, xs: AnyTensor, h0: AnyTensor | None = None) -> tuple[AnyTensor, AnyTensor]:
        """Per-step outputs ``[T, *B, Out]`` and the final hidden state ``[*B, H]``."""
        hs, h_final = self.rnn.run(xs, h0)
        return self.output_layer(hs), h_final


@dataclass(frozen=True, eq=False)
class MultiLayerRNN(ChainModel, Generic[In, H, Out]):
    """RecurrentStack RNN layers (first ``In -> H``, then ``H -> H``) and a per-step head."""

    layers: RecurrentStack[In, H]
    output_layer: Linear[H, Out]
    steps: ClassVar[tuple[str | Layer, ...]] = ("layers", "output_layer")

    @classmethod
    def init(
        cls, input_size: int, hidden: int, output: int, num_layers: int, *, rng: Rng
    ) -> MultiLayerRNN[Any, Any, Any]:
        """Fresh parameters, seeded."""
        a, b = _split(
            rng, 2, input_size=input_size, hidden=hidden, output=output, num_layers=num_layers
        )
        stack = RecurrentStack.build("RNN", input_size, hidden, num_layers, rng=a)
        return MultiLayerRNN(stack, Linear(hidden, output, rng=b))


@dataclass(frozen=True, eq=False)
class RNNClassifier(ChainModel, Generic[In, H, Out]):
    """Many-to-one: the final hidden state into a classifier, ``[T, *B, In] -> [*B, C]``."""

    rnn: RNN[In, H]
    classifier: Linear[H, Out]
    steps: ClassVar[tuple[str | Layer, ...]] = ("rnn", Last(), "classifier")

    @classmethod
    def init(
        cls, input_size: int, hidden: int, classes: int, *, rng: Rng
    ) -> RNNClassifier[Any, Any, Any]:
        """Fresh parameters, seeded."""
        a, b = _split(rng, 2, input_size=input_size, hidden=hidden, classes=classes)
        return RNNClassifier(RNN(input_size, hidden, rng=a), Linear(hidden, classes, rng=b))


class _Generator(ChainModel):
    """Shared by the RNN and LSTM generators: one-hot tokens in, vocabulary logits out."""

    embedding: Linear[Any, Any]
    output_projection: Linear[Any, Any]
    steps: ClassVar[tuple[str | Layer, ...]]

    def _core(self) -> Any:
        raise NotImplementedError

    def generate(self, start: int, length: int, *, rng: Rng, temperature: float = 1.0) -> list[int]:
        """Sample ``length`` tokens after ``start``, feeding each sample back (seeded)."""
        vocab = self.embedding.in_features
        require_int(start=start)
        require_index("start", start, vocab)
        require_size(length=length)
        require_positive_number(temperature=temperature)
        gen = as_generator(rng)
        token, state, out = start, None, []
        eye = np.eye(vocab, dtype=self.embedding.weight.dtype)
        for _ in range(length):
            hidden, state = _step(self._core(), self.embedding(Tensor(eye[token])), state)
            logits = self.output_projection(hidden).numpy().astype(np.float64) / temperature
            token = int(gen.choice(vocab, p=functional.softmax(logits)))
            out.append(token)
        return out


@dataclass(frozen=True, eq=False)
class RNNGenerator(_Generator, Generic[Vocab, H]):
    """Language-model style: linear embedding on one-hot, RNN, projection to the vocabulary.

    ``[T, *B, Vocab] -> [T, *B, Vocab]`` logits; ``generate`` samples with a seed.
    """

    embedding: Linear[Vocab, H]
    rnn: RNN[H, H]
    output_projection: Linear[H, Vocab]
    steps: ClassVar[tuple[str | Layer, ...]] = ("embedding", "rnn", "output_projection")

    @classmethod
    def init(cls, vocab: int, hidden: int, *, rng: Rng) -> RNNGenerator[Any, Any]:
        """Fresh parameters, seeded."""
        a, b, c = _split(rng, 3, vocab=vocab, hidden=hidden)
        return RNNGenerator(
            Linear(vocab, hidden, rng=a), RNN(hidden, hidden, rng=b), Linear(hidden, vocab, rng=c)
        )

    def _core(self) -> Any:
        return self.rnn


@dataclass(frozen=True, eq=False)
class BiRNNModel(ChainModel, Generic[In, H, Out]):
    """Bidirectional RNN and a per-step head over ``H + H`` (seed 001's ``BiRNN`` record)."""

    birnn: BiRNN[In, H]
    output_layer: Linear[Add[H, H], Out]
    steps: ClassVar[tuple[str | Layer, ...]] = ("birnn", "output_layer")

    @classmethod
    def init(
        cls, input_size: int, hidden: int, output: int, *, rng: Rng
    ) -> BiRNNModel[Any, Any, Any]:
        """Fresh parameters, seeded."""
        a, b = _split(rng, 2, input_size=input_size, hidden=hidden, output=output)
        return BiRNNModel(BiRNN(input_size, hidden, rng=a), Linear(2 * hidden, output, rng=b))


@dataclass(frozen=True, eq=False)
class SimpleLSTMModel(ChainModel, Generic[In, H, Out]):
    """LSTM with a per-step linear head: ``[T, *B, In] -> [T, *B, Out]`` (seed 002)."""

    lstm: LSTM[In, H]
    output_layer: Linear[H, Out]
    steps: ClassVar[tuple[str | Layer, ...]] = ("lstm", "output_layer")

    @classmethod
    def init(
        cls, input_size: int, hidden: int, output: int, *, rng: Rng
    ) -> SimpleLSTMModel[Any, Any, Any]:
        """Fresh parameters, seeded."""
        a, b = _split(rng, 2, input_size=input_size, hidden=hidden, output=output)
        return SimpleLSTMModel(LSTM(input_size, hidden, rng=a), Linear(hidden, output, rng=b))

    def step(
        self, x: AnyTensor, state: tuple[AnyTensor, AnyTensor] | None = None
    ) -> tuple[AnyTensor, tuple[AnyTensor, AnyTensor]]:
        """One step: ``[*B, In], (h, c) -> ([*B, Out], (h', c'))``."""
        h, new_state = _step(self.lstm, x, state)
        return self.output_layer(h), new_state

    def run(
        self, xs: AnyTensor, initial: tuple[AnyTensor, AnyTensor] | None = None
    ) -> tuple[AnyTensor, tuple[AnyTensor, AnyTensor]]:
        """Per-step outputs ``[T, *B, Out]`` and the final ``(h, c)``."""
        hs, final = self.lstm.run(xs, initial)
        return self.output_layer(hs), final

    def loss_and_grads(self, xs: AnyTensor, targets: AnyTensor) -> tuple[float, ModelGrads]:
        """MSE of the output sequence against ``targets`` and the gradients (seed 002)."""
        y, cache = self.forward(xs)
        loss, grad = mse(y, targets)
        grads, _ = self.backward(cache, grad)
        return loss, grads


@dataclass(frozen=True, eq=False)
class MultiLayerLSTM(ChainModel, Generic[In, H, Out]):
    """RecurrentStack LSTM layers (first ``In -> H``, then ``H -> H``) and a per-step head."""

    layers: RecurrentStack[In, H]
    output_layer: Linear[H, Out]
    steps: ClassVar[tuple[str | Layer, ...]] = ("layers", "output_layer")

    @classmethod
    def init(
        cls, input_size: int, hidden: int, output: int, num_layers: int, *, rng: Rng
    ) -> MultiLayerLSTM[Any, Any, Any]:
        """Fresh parameters, seeded."""
        a, b = _split(
            rng, 2, input_size=input_size, hidden=hidden, output=output, num_layers=num_layers
        )
        return MultiLayerLSTM(
            RecurrentStack.build("LSTM", input_size, hidden, num_layers, rng=a),
            Linear(hidden, output, rng=b),
        )


@dataclass(frozen=True, eq=False)
class LSTMClassifier(ChainModel, Generic[In, H, Out]):
    """Many-to-one LSTM: final hidden state into a classifier, ``[T, *B, In] -> [*B, C]``."""

    lstm: LSTM[In, H]
    classifier: Linear[H, Out]
    steps: ClassVar[tuple[str | Layer, ...]] = ("lstm", Last(), "classifier")

    @classmethod
    def init(
        cls, input_size: int, hidden: int, classes: int, *, rng: Rng
    ) -> LSTMClassifier[Any, Any, Any]:
        """Fresh parameters, seeded."""
        a, b = _split(rng, 2, input_size=input_size, hidden=hidden, classes=classes)
        return LSTMClassifier(LSTM(input_size, hidden, rng=a), Linear(hidden, classes, rng=b))


@dataclass(frozen=True, eq=False)
class LSTMGenerator(_Generator, Generic[Vocab, H]):
    """Linear embedding on one-hot, LSTM, projection to the vocabulary; seeded sampling."""

    embedding: Linear[Vocab, H]
    lstm: LSTM[H, H]
    output_projection: Linear[H, Vocab]
    steps: ClassVar[tuple[str | Layer, ...]] = ("embedding", "lstm", "output_projection")

    @classmethod
    def init(cls, vocab: int, hidden: int, *, rng: Rng) -> LSTMGenerator[Any, Any]:
        """Fresh parameters, seeded."""
        a, b, c = _split(rng, 3, vocab=vocab, hidden=hidden)
        return LSTMGenerator(
            Linear(vocab, hidden, rng=a), LSTM(hidden, hidden, rng=b), Linear(hidden, vocab, rng=c)
        )

    def _core(self) -> Any:
        return self.lstm


@dataclass(frozen=True, eq=False)
class BiLSTMModel(ChainModel, Generic[In, H, Out]):
    """Bidirectional LSTM and a per-step head over ``H + H`` (seed 002's ``BiLSTMModel``)."""

    bilstm: BiLSTM[In, H]
    output_layer: Linear[Add[H, H], Out]
    steps: ClassVar[tuple[str | Layer, ...]] = ("bilstm", "output_layer")

    @classmethod
    def init(
        cls, input_size: int, hidden: int, output: int, *, rng: Rng
    ) -> BiLSTMModel[Any, Any, Any]:
        """Fresh parameters, seeded."""
        a, b = _split(rng, 2, input_size=input_size, hidden=hidden, output=output)
        return BiLSTMModel(BiLSTM(input_size, hidden, rng=a), Linear(2 * hidden, output, rng=b))


@dataclass(frozen=True, eq=False)
class LSTMLanguageModel(Layer, Generic[Vocab, H]):
    """Embedding, stacked LSTMs, dropout, projection: ``[T, *B, Vocab] -> [T, *B, Vocab]``.

    Inference applies the seeds' deterministic ``dropout_inference_spec`` (``(1 - p) x``);
    ``forward(x, rng=...)`` trains with a fresh inverted-dropout mask from ``rng``.
    """

    embedding: Linear[Vocab, H]
    layers: RecurrentStack[H, H]
    output_projection: Linear[H, Vocab]
    dropout_rate: float = 0.0

    @classmethod
    def init(
        cls, vocab: int, hidden: int, num_layers: int, *, dropout: float = 0.0, rng: Rng
    ) -> LSTMLanguageModel[Any, Any]:
        """Fresh parameters, seeded."""
        a, b, c = _split(rng, 3, vocab=vocab, hidden=hidden, num_layers=num_layers)
        return LSTMLanguageModel(
            Linear(vocab, hidden, rng=a),
            RecurrentStack.build("LSTM", hidden, hidden, num_layers, rng=b),
            Linear(hidden, vocab, rng=c),
            dropout,
        )

    def __post_init__(self) -> None:
        require_rate(dropout_rate=self.dropout_rate)

    def _dropout(self) -> Dropout:
        return Dropout(self.dropout_rate)

    def __call__(self, onehot: AnyTensor) -> AnyTensor:
        """Vocabulary logits, deterministic dropout."""
        return self.forward(onehot)[0]

    def forward(
        self, onehot: AnyTensor, *, rng: np.random.Generator | None = None
    ) -> tuple[AnyTensor, tuple[Any, ...]]:
        """Logits and the cache; with ``rng`` the dropout is random (training)."""
        require_tensor("LSTMLanguageModel", "onehot", onehot)
        e, c1 = self.embedding.forward(onehot)
        h, c2 = self.layers.forward(e)
        dropped, c3 = self._dropout().forward(h, rng=rng)
        logits, c4 = self.output_projection.forward(dropped)
        return logits, (c1, c2, c3, c4)

    def backward(self, cache: tuple[Any, ...], grad: AnyTensor) -> tuple[ModelGrads, AnyTensor]:
        """Reverse pass through projection, dropout, LSTM stack and embedding."""
        c1, c2, c3, c4 = cache
        g_out, g_dropped = self.output_projection.backward(c4, grad)
        _, g_hidden = self._dropout().backward(c3, g_dropped)
        g_layers, g_embedded = self.layers.backward(c2, g_hidden)
        g_emb, g_onehot = self.embedding.backward(c1, g_embedded)
        parts = {"embedding": g_emb, "layers": g_layers, "output_projection": g_out}
        return ModelGrads(parts), g_onehot


@dataclass(frozen=True, eq=False)
class AttentionLSTM(Layer, Generic[In, H, Out]):
    """Encoder and decoder LSTMs with learned additive attention scores (seed 002's bundle).

    ``(src [S, *B, In], tgt [T, *B, In]) -> [T, *B, Out]``: for each decoder state ``d_t``,
    ``score_s = attention_weights([d_t; e_s])``, ``alpha = softmax_s(score)``,
    ``context_t = sum_s alpha_s e_s``, ``y_t = output_layer(d_t + context_t)``.
    The decoder starts from the encoder's final state.
    """

    encoder_lstm: LSTM[In, H]
    decoder_lstm: LSTM[In, H]
    attention_weights: Linear[Add[H, H], Literal[1]]
    output_layer: Linear[H, Out]

    @classmethod
    def init(
        cls, input_size: int, hidden: int, output: int, *, rng: Rng
    ) -> AttentionLSTM[Any, Any, Any]:
        """Fresh parameters, seeded."""
        a, b, c, d = _split(rng, 4, input_size=input_size, hidden=hidden, output=output)
        return AttentionLSTM(
            LSTM(input_size, hidden, rng=a),
            LSTM(input_size, hidden, rng=b),
            Linear(2 * hidden, 1, rng=c),
            Linear(hidden, output, rng=d),
        )

    def __call__(self, pair: tuple[AnyTensor, AnyTensor]) -> AnyTensor:
        """Per-step outputs of the decoder, ``[T, *B, Out]``."""
        return self.forward(pair)[0]

    def forward(self, pair: tuple[AnyTensor, AnyTensor]) -> tuple[AnyTensor, tuple[Any, ...]]:
        """Forward pass keeping what ``backward`` needs."""
        src, tgt = require_tensors("AttentionLSTM", "pair", pair, 2)
        if src.shape[1:-1] != tgt.shape[1:-1]:
            raise ShapeError(
                f"AttentionLSTM: source {src.shape} and target {tgt.shape} must share the batch "
                "dims between time and features"
            )
        enc, enc_cache = self.encoder_lstm.forward(src)
        final = enc_cache.final_state
        dec, dec_cache = self.decoder_lstm.forward(tgt, (final[0], final[1]))
        e, d = enc.numpy(), dec.numpy()  # [S, *B, H], [T, *B, H]
        steps_t, steps_s = d.shape[0], e.shape[0]
        pairs = np.concatenate(
            [
                np.broadcast_to(d[:, None], (steps_t, steps_s, *d.shape[1:])),
                np.broadcast_to(e[None], (steps_t, steps_s, *e.shape[1:])),
            ],
            axis=-1,
        )  # [T, S, *B, 2H]
        scores, score_cache = self.attention_weights.forward(Tensor(np.ascontiguousarray(pairs)))
        alpha = functional.softmax(scores.numpy()[..., 0], axis=1)  # [T, S, *B]
        context = np.einsum("ts...,s...h->t...h", alpha, e)
        y, out_cache = self.output_layer.forward(Tensor(d + context))
        cache = (enc_cache, dec_cache, score_cache, alpha, e, out_cache)
        return y, cache

    def backward(
        self, cache: tuple[Any, ...], grad: AnyTensor
    ) -> tuple[ModelGrads, tuple[AnyTensor, AnyTensor]]:
        """Reverse pass through the head, the attention, both LSTMs (decoder state flows back
        into the encoder's final state)."""
        enc_cache, dec_cache, score_cache, alpha, e, out_cache = cache
        g_out, g_sum = self.output_layer.backward(out_cache, grad)
        gs = g_sum.numpy()  # dL/d(d + context): [T, *B, H]
        g_dec = gs.copy()
        g_enc = np.einsum("ts...,t...h->s...h", alpha, gs)
        g_alpha = np.einsum("t...h,s...h->ts...", gs, e)
        g_scores = alpha * (g_alpha - (g_alpha * alpha).sum(axis=1, keepdims=True))
        g_att, g_pairs = self.attention_weights.backward(score_cache, Tensor(g_scores[..., None]))
        gp = g_pairs.numpy()
        hidden = e.shape[-1]
        g_dec += gp[..., :hidden].sum(axis=1)
        g_enc += gp[..., hidden:].sum(axis=0)
        g_dlstm, d_tgt, (dh0, dc0) = self.decoder_lstm.backward_through_time(
            dec_cache, Tensor(g_dec)
        )
        g_elstm, d_src, _ = self.encoder_lstm.backward_through_time(
            enc_cache, Tensor(g_enc), (dh0, dc0)
        )
        parts = {
            "encoder_lstm": g_elstm,
            "decoder_lstm": g_dlstm,
            "attention_weights": g_att,
            "output_layer": g_out,
        }
        return ModelGrads(parts), (d_src, d_tgt)
