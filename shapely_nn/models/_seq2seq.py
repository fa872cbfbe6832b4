"""Seq2Seq (seed 000): embeddings, RNN/LSTM/transformer encoders, the RNN decoder with optional
self-attention, teacher forcing, greedy inference, one-hot training with its gradients, and the
attention-augmented variant.

Sequences are time-major, ``[T, *B, ...]`` (the seeds' ``seqLen x dim`` with optional batch
dims after time). Dropout is the seeds' deterministic ``dropout_inference_spec``, ``(1 - p) x``,
applied to the encoder's and decoder's input embeddings. The id-based paths
(``forward_training``, ``forward_inference``) are for running a model; training goes through
the one-hot paths, where the embedding lookup is a matrix product and so differentiable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from shapely_nn import functional
from shapely_nn._shape import ShapeError
from shapely_nn._tensor import DTypeError, Tensor, array_of, require_tensor, require_tensors
from shapely_nn.guards import require_int, require_nonzero, require_size
from shapely_nn.layers._attention import EncoderAttention
from shapely_nn.layers._base import Array, GradRecord, Layer, Rng, as_generator
from shapely_nn.layers._linear import Linear
from shapely_nn.layers._mha import MultiHeadAttention
from shapely_nn.models._seq2seq_parts import (
    Encoder,
    Seq2SeqEmbedding,
    _DropoutRate,
    make_encoder,
    scale,
)
from shapely_nn.models._wiring import ModelGrads
from shapely_nn.modules._recurrent import RNN
from shapely_nn.train._losses import cross_entropy_onehot

Vocab = TypeVar("Vocab", bound=int)
Embed = TypeVar("Embed", bound=int)
Hidden = TypeVar("Hidden", bound=int)
AnyTensor = Tensor[*tuple[Any, ...]]


# ---- decoder ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecoderCache:
    """What ``backward_teacher_forcing`` needs."""

    attention: Any
    rnn: Any
    projection: Any
    inputs_shape: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class Seq2SeqDecoder(_DropoutRate, Layer, Generic[Embed, Hidden, Vocab]):
    """RNN decoder: optional self-attention over the input embeddings, RNN, per-step projection.

    Teacher forcing: ``[T, *B, Embed], h0 [*B, H] -> logits [T, *B, Vocab]`` (guard ``T != 0``).
    The self-attention (seed: "not cross-attention") sees the whole target sequence unless
    ``causal=True``; the seed leaves it unmasked, which lets a decoder trained by teacher
    forcing read ahead — use ``causal=True`` for a model meant for greedy decoding.
    """

    rnn: RNN[Embed, Hidden]
    output_projection: Linear[Hidden, Vocab]
    attention: MultiHeadAttention[Any, Any] | None = None
    dropout_rate: float = 0.0
    causal: bool = False

    @classmethod
    def init(
        cls,
        embed: int,
        hidden: int,
        vocab: int,
        *,
        heads: int | None = None,
        causal: bool = False,
        rng: Rng,
        dtype: Any = np.float32,
    ) -> Seq2SeqDecoder[Any, Any, Any]:
        """Fresh parameters; ``heads`` adds decoder self-attention."""
        require_size(embed=embed, hidden=hidden, vocab=vocab)
        if heads is not None:
            require_size(heads=heads)
        a, b, c = as_generator(rng).spawn(3)
        attention = None if heads is None else MultiHeadAttention(embed, heads, rng=c, dtype=dtype)
        return Seq2SeqDecoder(
            RNN(embed, hidden, rng=a, dtype=dtype),
            Linear(hidden, vocab, rng=b, dtype=dtype),
            attention,
            0.0,
            causal,
        )

    @property
    def vocab_size(self) -> int:
        """``Vocab``."""
        return self.output_projection.out_features

    def _attend(self, x: Array, keep: bool = True) -> tuple[Array, Any]:
        if self.attention is None:
            return x, None
        batch_first: AnyTensor = Tensor(np.ascontiguousarray(np.moveaxis(x, 0, -2)))
        if keep:
            y, cache = self.attention.forward(batch_first, causal=self.causal)
        else:
            y, cache = self.attention(batch_first, causal=self.causal), None
        return np.ascontiguousarray(np.moveaxis(y.numpy(), -2, 0)), cache

    def _embeddings(self, target_embeddings: AnyTensor) -> Array:
        x = array_of("Seq2SeqDecoder", "target_embeddings", target_embeddings)
        if x.ndim < 2:
            raise ShapeError(
                "Seq2SeqDecoder expects target_embeddings [T, *B, Embed], got shape "
                f"{list(x.shape)}"
            )
        require_nonzero(tgt_len=x.shape[0])
        return x

    def forward_teacher_forcing(self, target_embeddings: AnyTensor, h0: AnyTensor) -> AnyTensor:
        """Per-step logits ``[T, *B, Vocab]`` (the inference path: no cache kept)."""
        x = self._embeddings(target_embeddings)
        attended, _ = self._attend(scale(self.dropout_rate, x), keep=False)
        hidden, _ = self.rnn.run(Tensor(attended), h0)
        return self.output_projection(hidden)

    def forward(
        self, target_embeddings: AnyTensor, h0: AnyTensor | None
    ) -> tuple[AnyTensor, DecoderCache]:
        """Teacher-forcing forward pass with its cache."""
        x = self._embeddings(target_embeddings)
        attended, attention_cache = self._attend(scale(self.dropout_rate, x))
        hidden, rnn_cache = self.rnn.forward(Tensor(attended), h0)
        logits, projection_cache = self.output_projection.forward(hidden)
        return logits, DecoderCache(attention_cache, rnn_cache, projection_cache, x.shape)

    def backward_teacher_forcing(
        self, cache: DecoderCache, grad_logits: AnyTensor
    ) -> tuple[ModelGrads, AnyTensor, AnyTensor]:
        """Grads (rnn, output_projection, attention if any), ``dL/d embeddings``, ``dL/dh0``."""
        g_proj, g_hidden = self.output_projection.backward(cache.projection, grad_logits)
        g_rnn, d_attended, dh0 = self.rnn.backward_through_time(cache.rnn, g_hidden)
        parts: dict[str, GradRecord] = {"rnn": g_rnn, "output_projection": g_proj}
        d = d_attended.numpy()
        if self.attention is not None:
            g_attn, dq, _, _ = self.attention.backward(
                cache.attention, Tensor(np.ascontiguousarray(np.moveaxis(d, 0, -2)))
            )
            parts["attention"] = g_attn
            d = np.ascontiguousarray(np.moveaxis(dq.numpy(), -2, 0))
        return ModelGrads(parts), Tensor(scale(self.dropout_rate, d)), dh0

    def forward_inference(
        self,
        h0: AnyTensor,
        start_embedding: AnyTensor,
        tgt_embedding: Seq2SeqEmbedding[Any, Any],
        max_len: int,
    ) -> tuple[AnyTensor, AnyTensor]:
        """Greedy decoding for ``max_len`` steps: logits ``[L, *B, Vocab]``, ids ``[L, *B]``.

        Guards ``max_len != 0`` and ``vocab != 0``. As in the seed, the self-attention is not
        run here (it is modelled in teacher forcing only).
        """
        require_size(max_len=max_len)
        require_nonzero(vocab=self.vocab_size)
        h = require_tensor("Seq2SeqDecoder.forward_inference", "h0", h0)
        start = array_of("Seq2SeqDecoder.forward_inference", "start_embedding", start_embedding)
        x: AnyTensor = Tensor(scale(self.dropout_rate, start))
        all_logits, tokens = [], []
        for _ in range(max_len):
            _, h = self.rnn.run(Tensor(x.numpy()[None]), h)
            logits = self.output_projection(h)
            ids = logits.numpy().argmax(axis=-1)
            all_logits.append(logits.numpy())
            tokens.append(ids)
            x = Tensor(
                scale(self.dropout_rate, tgt_embedding(Tensor(ids.astype(np.int64))).numpy())
            )
        return Tensor(np.stack(all_logits)), Tensor(np.stack(tokens).astype(np.int64))


# ---- models -------------------------------------------------------------------------------


class Seq2SeqGrads(ModelGrads):
    """End-to-end gradients of a Seq2Seq model, with the seed's field names as properties."""

    @property
    def d_src_embedding(self) -> GradRecord:
        """Source embedding table."""
        return self.parts["src_embedding"]

    @property
    def d_tgt_embedding(self) -> GradRecord:
        """Target embedding table."""
        return self.parts["tgt_embedding"]

    @property
    def d_encoder(self) -> GradRecord:
        """Encoder parameters."""
        return self.parts["encoder"]

    @property
    def d_decoder_rnn(self) -> GradRecord:
        """Decoder RNN."""
        return self._decoder().parts["rnn"]

    @property
    def d_output_projection(self) -> GradRecord:
        """Decoder output projection."""
        return self._decoder().parts["output_projection"]

    @property
    def d_decoder_attention(self) -> GradRecord | None:
        """Decoder self-attention, if the decoder has it."""
        return self._decoder().parts.get("attention")

    def _decoder(self) -> ModelGrads:
        decoder = self.parts["decoder"]
        assert isinstance(decoder, ModelGrads)
        return decoder


def _pair(xs: Any, what: str) -> tuple[AnyTensor, AnyTensor]:
    src, tgt = require_tensors(what, "pair", xs, 2)
    return src, tgt


@dataclass(frozen=True, eq=False)
class Seq2Seq(Layer, Generic[Vocab, Embed, Hidden]):
    """Encoder-decoder (seed 000's ``Seq2SeqSpec``): source and target embeddings, an encoder
    (RNN as in the seed, or LSTM, or transformer) and the RNN decoder started from the
    encoder's final state.

    One-hot training: ``(src [S, *B, SrcVocab], tgt [T, *B, TgtVocab]) -> [T, *B, TgtVocab]``.
    """

    src_embedding: Seq2SeqEmbedding[Any, Embed]
    tgt_embedding: Seq2SeqEmbedding[Vocab, Embed]
    encoder: Encoder
    decoder: Seq2SeqDecoder[Embed, Hidden, Vocab]

    @classmethod
    def init(
        cls,
        src_vocab: int,
        tgt_vocab: int,
        embed: int,
        hidden: int,
        *,
        encoder: str = "rnn",
        heads: int | None = None,
        causal: bool = False,
        rng: Rng,
        dtype: Any = np.float32,
    ) -> Seq2Seq[Any, Any, Any]:
        """Fresh model; ``encoder`` is ``"rnn"``, ``"lstm"`` or ``"transformer"`` (then
        ``hidden`` must equal ``embed``); ``heads`` gives the decoder self-attention."""
        require_size(src_vocab=src_vocab, tgt_vocab=tgt_vocab, embed=embed, hidden=hidden)
        a, b, c, d = as_generator(rng).spawn(4)
        enc = make_encoder(encoder, embed, hidden, rng=c, dtype=dtype)
        return Seq2Seq(
            Seq2SeqEmbedding.init(src_vocab, embed, rng=a, dtype=dtype),
            Seq2SeqEmbedding.init(tgt_vocab, embed, rng=b, dtype=dtype),
            enc,
            Seq2SeqDecoder.init(
                embed, hidden, tgt_vocab, heads=heads, causal=causal, rng=d, dtype=dtype
            ),
        )

    # -- ids (running a model) --
    def forward_training(self, src_ids: AnyTensor, tgt_ids: AnyTensor) -> AnyTensor:
        """Teacher-forcing logits from token ids ``[S, *B]``, ``[T, *B]`` (not differentiable)."""
        require_tensor("Seq2Seq.forward_training", "src_ids", src_ids)
        require_tensor("Seq2Seq.forward_training", "tgt_ids", tgt_ids)
        _, h0 = self.encoder.encode(self.src_embedding(src_ids))
        return self.decoder.forward_teacher_forcing(self.tgt_embedding(tgt_ids), h0)

    def forward_inference(
        self, src_ids: AnyTensor, start_token: int, max_len: int
    ) -> tuple[AnyTensor, AnyTensor]:
        """Greedy decoding from ``start_token``: logits ``[L, *B, V]`` and ids ``[L, *B]``."""
        require_tensor("Seq2Seq.forward_inference", "src_ids", src_ids)
        require_int(start_token=start_token)
        require_size(max_len=max_len)
        _, h0 = self.encoder.encode(self.src_embedding(src_ids))
        start = np.full(h0.shape.as_tuple()[:-1], start_token, dtype=np.int64)
        return self.decoder.forward_inference(
            h0, self.tgt_embedding(Tensor(start)), self.tgt_embedding, max_len
        )

    # -- one-hot (training) --
    def forward_training_onehot(self, src_onehot: AnyTensor, tgt_onehot: AnyTensor) -> AnyTensor:
        """Differentiable teacher forcing on one-hot inputs."""
        return self.forward((src_onehot, tgt_onehot))[0]

    def __call__(self, pair: tuple[AnyTensor, AnyTensor]) -> AnyTensor:
        """``forward_training_onehot`` on a ``(source, target)`` pair, without a cache."""
        src, tgt = _pair(pair, "Seq2Seq")
        _, h0 = self.encoder.encode(self.src_embedding.forward_onehot(src))
        return self.decoder.forward_teacher_forcing(self.tgt_embedding.forward_onehot(tgt), h0)

    def forward(self, pair: tuple[AnyTensor, AnyTensor]) -> tuple[AnyTensor, Any]:
        """One-hot forward with its cache."""
        src, tgt = _pair(pair, "Seq2Seq")
        (_, h0), enc_cache = self.encoder.forward(self.src_embedding.forward_onehot(src))
        logits, dec_cache = self.decoder.forward(self.tgt_embedding.forward_onehot(tgt), h0)
        return logits, (src, tgt, enc_cache, dec_cache)

    def backward(self, cache: Any, grad_logits: AnyTensor) -> tuple[Seq2SeqGrads, Any]:
        """Gradients of every part and of both one-hot inputs."""
        src, tgt, enc_cache, dec_cache = cache
        g_dec, d_tgt_emb, dh0 = self.decoder.backward_teacher_forcing(dec_cache, grad_logits)
        g_enc, d_src_emb = self.encoder.backward(enc_cache, None, dh0)
        g_tgt, d_tgt = self.tgt_embedding.backward(tgt, d_tgt_emb)
        g_src, d_src = self.src_embedding.backward(src, d_src_emb)
        parts: dict[str, GradRecord] = {
            "src_embedding": g_src,
            "tgt_embedding": g_tgt,
            "encoder": g_enc,
            "decoder": g_dec,
        }
        return Seq2SeqGrads(parts), (d_src, d_tgt)

    def cross_entropy_loss_onehot(
        self, src_onehot: AnyTensor, tgt_onehot: AnyTensor, targets: AnyTensor | None = None
    ) -> float:
        """Mean per-step cross-entropy; the seed scores against ``tgt_onehot`` itself, pass
        ``targets`` (one-hot, ``[T, *B, V]``) to score the shifted next tokens instead."""
        return self.cross_entropy_grad_onehot(src_onehot, tgt_onehot, targets)[0]

    def cross_entropy_grad_onehot(
        self, src_onehot: AnyTensor, tgt_onehot: AnyTensor, targets: AnyTensor | None = None
    ) -> tuple[float, Seq2SeqGrads]:
        """``(loss, grads)`` under per-step cross-entropy (seed ``crossEntropyGradOnehot``)."""
        logits, cache = self.forward((src_onehot, tgt_onehot))
        loss, grad = cross_entropy_onehot(logits, tgt_onehot if targets is None else targets)
        grads, _ = self.backward(cache, grad)
        return loss, grads


@dataclass(frozen=True, eq=False)
class AttentionSeq2Seq(Layer, Generic[Vocab, Embed, Hidden]):
    """Seq2Seq with the seeds' encoder-output attention at every decoder step.

    For decoder state ``d_t``: ``a = softmax_s((W d_t) . e_s)`` (``computeAttentionWeightsSpec``),
    ``c_t = sum_s a_s e_s`` (``applyAttentionSpec``), ``logits_t = output_projection(d_t + c_t)``.
    """

    src_embedding: Seq2SeqEmbedding[Any, Embed]
    tgt_embedding: Seq2SeqEmbedding[Vocab, Embed]
    encoder: Encoder
    decoder: Seq2SeqDecoder[Embed, Hidden, Vocab]
    attention: EncoderAttention[Hidden]

    @classmethod
    def init(
        cls,
        src_vocab: int,
        tgt_vocab: int,
        embed: int,
        hidden: int,
        *,
        encoder: str = "rnn",
        rng: Rng,
        dtype: Any = np.float32,
    ) -> AttentionSeq2Seq[Any, Any, Any]:
        """Fresh model; ``encoder`` is ``"rnn"``, ``"lstm"`` or ``"transformer"``."""
        base = Seq2Seq.init(
            src_vocab, tgt_vocab, embed, hidden, encoder=encoder, rng=rng, dtype=dtype
        )
        attention = EncoderAttention(hidden, rng=as_generator(rng).spawn(5)[4], dtype=dtype)
        return AttentionSeq2Seq(
            base.src_embedding, base.tgt_embedding, base.encoder, base.decoder, attention
        )

    def _contexts(self, enc: Array, dec: Array, keep: bool = True) -> tuple[Array, Any]:
        # one EncoderAttention call for all decoder steps: treat time as a batch dim
        steps = dec.shape[0]
        enc_bf = np.moveaxis(enc, 0, -2)  # [*B, S, H]
        enc_all = np.ascontiguousarray(np.broadcast_to(enc_bf, (steps, *enc_bf.shape)))
        if not keep:
            return self.attention(Tensor(dec), Tensor(enc_all))[0].numpy(), None
        (context, _), cache = self.attention.forward(Tensor(dec), Tensor(enc_all))
        return context.numpy(), cache

    def __call__(self, pair: tuple[AnyTensor, AnyTensor]) -> AnyTensor:
        """Teacher-forcing logits on one-hot ``(source, target)``, without a cache."""
        src, tgt = _pair(pair, "AttentionSeq2Seq")
        enc, h0 = self.encoder.encode(self.src_embedding.forward_onehot(src))
        x = self.tgt_embedding.forward_onehot(tgt).numpy()
        require_nonzero(tgt_len=x.shape[0])
        dec, _ = self.decoder.rnn.run(Tensor(scale(self.decoder.dropout_rate, x)), h0)
        context, _ = self._contexts(enc.numpy(), dec.numpy(), keep=False)
        return self.decoder.output_projection(Tensor(dec.numpy() + context))

    def forward(self, pair: tuple[AnyTensor, AnyTensor]) -> tuple[AnyTensor, Any]:
        """One-hot forward with its cache."""
        src, tgt = _pair(pair, "AttentionSeq2Seq")
        (enc, h0), enc_cache = self.encoder.forward(self.src_embedding.forward_onehot(src))
        x = self.tgt_embedding.forward_onehot(tgt).numpy()
        require_nonzero(tgt_len=x.shape[0])
        dec, rnn_cache = self.decoder.rnn.forward(Tensor(scale(self.decoder.dropout_rate, x)), h0)
        context, att_cache = self._contexts(enc.numpy(), dec.numpy())
        logits, proj_cache = self.decoder.output_projection.forward(Tensor(dec.numpy() + context))
        return logits, (src, tgt, enc_cache, rnn_cache, att_cache, proj_cache)

    def backward(self, cache: Any, grad_logits: AnyTensor) -> tuple[Seq2SeqGrads, Any]:
        """Gradients of every part and of both one-hot inputs."""
        src, tgt, enc_cache, rnn_cache, att_cache, proj_cache = cache
        g_proj, g_sum = self.decoder.output_projection.backward(proj_cache, grad_logits)
        g_att, d_dec_att, d_enc_all = self.attention.backward(att_cache, g_sum)
        d_dec = g_sum.numpy() + d_dec_att.numpy()
        d_enc = np.moveaxis(d_enc_all.numpy().sum(axis=0), -2, 0)  # back to [S, *B, H]
        g_rnn, d_x, dh0 = self.decoder.rnn.backward_through_time(rnn_cache, Tensor(d_dec))
        g_enc, d_src_emb = self.encoder.backward(
            enc_cache, Tensor(np.ascontiguousarray(d_enc)), dh0
        )
        d_tgt_emb: AnyTensor = Tensor(scale(self.decoder.dropout_rate, d_x.numpy()))
        g_tgt, d_tgt = self.tgt_embedding.backward(tgt, d_tgt_emb)
        g_src, d_src = self.src_embedding.backward(src, d_src_emb)
        decoder = ModelGrads({"rnn": g_rnn, "output_projection": g_proj})
        parts: dict[str, GradRecord] = {
            "src_embedding": g_src,
            "tgt_embedding": g_tgt,
            "encoder": g_enc,
            "decoder": decoder,
            "attention": g_att,
        }
        return Seq2SeqGrads(parts), (d_src, d_tgt)

    def forward_inference(
        self, src_ids: AnyTensor, start_token: int, max_len: int
    ) -> tuple[AnyTensor, AnyTensor]:
        """Greedy decoding with attention: logits ``[L, *B, V]`` and ids ``[L, *B]``."""
        require_tensor("AttentionSeq2Seq.forward_inference", "src_ids", src_ids)
        require_int(start_token=start_token)
        require_size(max_len=max_len)
        require_nonzero(vocab=self.decoder.vocab_size)
        enc, h = self.encoder.encode(self.src_embedding(src_ids))
        ids = np.full(h.shape.as_tuple()[:-1], start_token, dtype=np.int64)
        all_logits, tokens = [], []
        p = self.decoder.dropout_rate
        for _ in range(max_len):
            x = scale(p, self.tgt_embedding(Tensor(ids)).numpy())
            _, h = self.decoder.rnn.run(Tensor(x[None]), h)
            context, _ = self._contexts(enc.numpy(), h.numpy()[None], keep=False)
            logits = self.decoder.output_projection(Tensor(h.numpy() + context[0])).numpy()
            ids = logits.argmax(axis=-1).astype(np.int64)
            all_logits.append(logits)
            tokens.append(ids)
        return Tensor(np.stack(all_logits)), Tensor(np.stack(tokens))


def greedy_accuracy(predicted: AnyTensor, expected: AnyTensor) -> float:
    """Share of tokens where greedy decoding matches the reference."""
    p = array_of("greedy_accuracy", "predicted", predicted)
    e = array_of("greedy_accuracy", "expected", expected)
    if p.shape != e.shape:
        raise ShapeError(f"greedy_accuracy: predicted {list(p.shape)} vs expected {list(e.shape)}")
    return float((p == e).mean())


def log_probs(logits: AnyTensor) -> AnyTensor:
    """Log-probabilities over the vocabulary (last axis)."""
    a = array_of("log_probs", "logits", logits)
    if a.dtype.kind != "f":
        raise DTypeError(f"log_probs: logits must be a float tensor, got dtype {a.dtype}")
    return Tensor(functional.log_softmax(a, axis=-1))
