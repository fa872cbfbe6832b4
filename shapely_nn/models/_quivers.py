"""The quivers encoder-decoder of seed 003, written with the combinators.

The seed's program, object by object::

    encoder  = src_embed >> stack(enc_block, 2)      enc_block = fan(enc_head) >> enc_attn_proj
    decoder  = tgt_embed >> stack(dec_block, 2)                  >> enc_residual_attn >> ...
    backbone = (encoder @ decoder) >> cross
    seq2seq : Source * Target -> Target = lm_head(backbone)   ~ Categorical

Semantics kept here: every ``kernel`` morphism ``A -> B ~ Normal`` is a linear map giving the
mean of its Normal (its ``scale`` is kept on the layer, for sampling); the product of two
``Real`` objects is their concatenation, so ``encoder @ decoder`` feeds ``cross`` the joined
``Latent * Latent = Combined``; the ``Categorical`` head returns log-probabilities. Training here
is maximum likelihood of the observed next token; the program's log joint, SVI and NUTS over
its sites and kernels live in ``shapely_nn.infer`` (used through ``shapely_nn.qvr``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from shapely_nn import functional
from shapely_nn._shape import ShapeError
from shapely_nn._tensor import DTypeError, Tensor, array_of
from shapely_nn.guards import require_ids_in_range, require_positive_number, require_size
from shapely_nn.layers._activations import NoGrads
from shapely_nn.layers._base import Array, Layer, Rng, as_generator
from shapely_nn.layers._embedding import Embedding
from shapely_nn.layers._linear import Linear
from shapely_nn.models._wiring import ModelGrads
from shapely_nn.modules._compose import Chain, Concat, fan, stack

AnyTensor = Tensor[*tuple[Any, ...]]


def _int_ids(callee: str, name: str, ids: object) -> Array:
    """The array of ``ids`` if it is a tensor of integer ids, else ``TypeError``/``DTypeError``."""
    a = array_of(callee, name, ids)
    if a.dtype.kind not in "iu":
        raise DTypeError(f"{callee}: {name} must be integer ids, got dtype {a.dtype}")
    return a


@dataclass(frozen=True, eq=False)
class Kernel(Layer):
    """A ``kernel`` morphism ``A -> B ~ Normal``: the linear mean map, plus its noise scale."""

    linear: Linear[Any, Any]
    scale: float = 1.0

    @classmethod
    def init(cls, source: int, target: int, *, scale: float = 1.0, rng: Rng) -> Kernel:
        """Fresh mean map (``nn.Linear`` init), noise ``scale``."""
        require_positive_number(scale=scale)
        return Kernel(Linear(source, target, rng=rng), float(scale))

    @property
    def in_features(self) -> int:
        """Size of the source object."""
        return self.linear.in_features

    @property
    def out_features(self) -> int:
        """Size of the target object."""
        return self.linear.out_features

    def __call__(self, x: AnyTensor) -> AnyTensor:
        """The mean, ``[*B, A] -> [*B, B]``."""
        return self.linear(x)

    def forward(self, x: AnyTensor) -> tuple[AnyTensor, Array]:
        """The mean with its cache."""
        return self.linear.forward(x)

    def backward(self, cache: Array, grad: AnyTensor) -> tuple[ModelGrads, AnyTensor]:
        """Reverse pass of the mean map."""
        record, dx = self.linear.backward(cache, grad)
        return ModelGrads({"linear": record}), dx

    def sample(self, x: AnyTensor, rng: Rng) -> AnyTensor:
        """A draw ``Normal(mean(x), scale)``, seeded."""
        mean = self.linear(x).numpy()
        noise = as_generator(rng).standard_normal(mean.shape).astype(mean.dtype)
        return Tensor(mean + self.scale * noise)


@dataclass(frozen=True, eq=False)
class Embed(Layer):
    """An ``embed`` morphism ``FinSet n -> Real d``: int ids ``[*B] -> [*B, d]``.

    Ids must be in ``[0, n)``; the table is trained through its one-hot form.
    """

    embedding: Embedding[Any, Any]

    @property
    def in_features(self) -> int:
        """``n``: ids are in ``[0, n)``."""
        return self.embedding.vocab_size

    @property
    def out_features(self) -> int:
        """``d``."""
        return self.embedding.embed_dim

    def _ids(self, ids: AnyTensor) -> Array:
        """The id array, checked: a tensor of integer ids in ``[0, n)`` (``FinSet n``)."""
        a = _int_ids("Embed", "ids", ids)
        require_ids_in_range(a, self.in_features)
        return a

    def _onehot(self, ids: AnyTensor) -> AnyTensor:
        eye = np.eye(self.in_features, dtype=self.embedding.weight.dtype)
        return Tensor(eye[self._ids(ids)])

    def __call__(self, ids: AnyTensor) -> AnyTensor:
        """Embed ids (``GuardError`` for one outside ``[0, n)``, as ``forward``)."""
        # Embedding alone maps an out-of-range id to zeros; FinSet n has no such element.
        self._ids(ids)
        return self.embedding(ids)

    def forward(self, ids: AnyTensor) -> tuple[AnyTensor, AnyTensor]:
        """Embed ids, keeping the one-hot rows for the table's gradient."""
        onehot = self._onehot(ids)
        return self.embedding.forward_onehot(onehot), onehot

    def backward(self, cache: AnyTensor, grad: AnyTensor) -> tuple[ModelGrads, None]:
        """The table's gradient; ids get none."""
        record, _ = self.embedding.backward_onehot(cache, grad)
        return ModelGrads({"embedding": record}), None


@dataclass(frozen=True, eq=False)
class Columns(Layer):
    """``Source * Target``: a ``[*B, 2]`` id tensor split into its two columns."""

    n_outputs: ClassVar[int] = 2

    def __call__(self, x: AnyTensor) -> tuple[AnyTensor, AnyTensor]:
        """``(x[..., 0], x[..., 1])``."""
        a = _int_ids("Columns", "x", x)
        if a.ndim == 0 or a.shape[-1] != 2:
            raise ShapeError(f"Columns: expects [*B, 2] ids (source, target), got {x.shape}")
        return Tensor(np.ascontiguousarray(a[..., 0])), Tensor(np.ascontiguousarray(a[..., 1]))

    def forward(self, x: AnyTensor) -> tuple[tuple[AnyTensor, AnyTensor], None]:
        """The two columns."""
        return self(x), None

    def backward(self, cache: None, grad: Any) -> tuple[NoGrads, None]:
        """Ids get no gradient."""
        return NoGrads(), None


@dataclass(frozen=True, eq=False)
class CategoricalHead(Layer):
    """``lm_head : Combined -> Target ~ Categorical``: log-probabilities ``[*B, Target]``."""

    kernel: Kernel

    @property
    def in_features(self) -> int:
        """Size of the source object."""
        return self.kernel.in_features

    @property
    def out_features(self) -> int:
        """Number of categories."""
        return self.kernel.out_features

    def __call__(self, x: AnyTensor) -> AnyTensor:
        """Log-probabilities over the categories."""
        return Tensor(functional.log_softmax(self.kernel(x).numpy(), axis=-1))

    def forward(self, x: AnyTensor) -> tuple[AnyTensor, Any]:
        """Log-probabilities with the cache (the logits' cache and the probabilities)."""
        logits, cache = self.kernel.forward(x)
        log_p = functional.log_softmax(logits.numpy(), axis=-1)
        return Tensor(log_p), (cache, np.exp(log_p))

    def backward(self, cache: Any, grad: AnyTensor) -> tuple[ModelGrads, AnyTensor]:
        """Through log-softmax (``g - p * sum(g)``) and the kernel."""
        kernel_cache, p = cache
        g = grad.numpy()
        record, dx = self.kernel.backward(kernel_cache, Tensor(g - p * g.sum(-1, keepdims=True)))
        return ModelGrads({"kernel": record}), dx

    def sample(self, x: AnyTensor, rng: Rng) -> AnyTensor:
        """One category per row, drawn from the distribution (seeded)."""
        p = np.exp(self(x).numpy().astype(np.float64))
        gen = as_generator(rng)
        flat = p.reshape(-1, p.shape[-1])
        draws = [gen.choice(flat.shape[1], p=row / row.sum()) for row in flat]
        return Tensor(np.asarray(draws, dtype=np.int64).reshape(p.shape[:-1]))


def _block(latent: int, head_out: int, ff: int, heads: int, rng: Rng) -> Chain:
    """``fan(head) >> attn_proj >> residual_attn >> ff_up >> ff_down >> residual_ff``."""
    gens = as_generator(rng).spawn(6)
    return Chain(
        [
            fan(lambda g: Kernel.init(latent, head_out, scale=0.1, rng=g), heads, rng=gens[0]),
            Kernel.init(latent, latent, scale=0.1, rng=gens[1]),
            Kernel.init(latent, latent, scale=0.01, rng=gens[2]),
            Kernel.init(latent, ff, rng=gens[3]),
            Kernel.init(ff, latent, scale=0.1, rng=gens[4]),
            Kernel.init(latent, latent, scale=0.01, rng=gens[5]),
        ]
    )


def quivers_seq2seq(
    *,
    source: int = 32,
    target: int = 32,
    latent: int = 16,
    head_out: int = 4,
    ff_hidden: int = 32,
    heads: int = 4,
    layers: int = 2,
    rng: Rng,
) -> Chain:
    """Seed 003's program ``seq2seq : Source * Target -> Target`` (its sizes by default).

    Input: ``[*B, 2]`` ids (source, target); output: next-token log-probabilities
    ``[*B, Target]`` (the last part is a ``CategoricalHead``; ``.layers[-1].sample`` draws).
    """
    require_size(
        source=source,
        target=target,
        latent=latent,
        head_out=head_out,
        ff_hidden=ff_hidden,
        heads=heads,
        layers=layers,
    )
    if heads * head_out != latent:
        raise ShapeError(
            f"fan(head) with {heads} heads of HeadOut = {head_out} gives {heads * head_out}, "
            f"but the next morphism reads Latent = {latent}"
        )
    g = as_generator(rng).spawn(5)
    encoder = Embed(Embedding(source, latent, rng=g[0])) >> stack(
        lambda r: _block(latent, head_out, ff_hidden, heads, r), layers, rng=g[1]
    )
    decoder = Embed(Embedding(target, latent, rng=g[2])) >> stack(
        lambda r: _block(latent, head_out, ff_hidden, heads, r), layers, rng=g[3]
    )
    cross_rng, head_rng = g[4].spawn(2)
    combined = 2 * latent
    return Chain(
        [
            Columns(),
            encoder @ decoder,
            Concat(),
            Kernel.init(combined, combined, scale=0.1, rng=cross_rng),
            CategoricalHead(Kernel.init(combined, target, rng=head_rng)),
        ]
    )


def next_token_nll(log_probs: AnyTensor, targets: AnyTensor) -> tuple[float, AnyTensor]:
    """Mean negative log-likelihood of ``targets`` under ``log_probs`` and its gradient."""
    lp = array_of("next_token_nll", "log_probs", log_probs)
    ids = _int_ids("next_token_nll", "targets", targets)
    if lp.dtype.kind != "f":
        raise DTypeError(f"next_token_nll: log_probs must be floats, got dtype {lp.dtype}")
    if lp.ndim == 0 or ids.shape != lp.shape[:-1]:
        raise ShapeError(f"next_token_nll: targets {list(ids.shape)} vs log-probs {list(lp.shape)}")
    require_ids_in_range(ids, lp.shape[-1], name="targets")
    n = max(1, ids.size)
    grad = np.zeros_like(lp)
    np.put_along_axis(grad, ids[..., None], -1.0 / n, axis=-1)
    picked = np.take_along_axis(lp, ids[..., None], axis=-1)
    return float(-picked.sum() / n), Tensor(grad)
