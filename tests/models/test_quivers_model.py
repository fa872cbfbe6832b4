"""Seed 003's encoder-decoder, built with >>, @, fan and stack; trained by maximum likelihood."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest

import shapely_nn as sn
from shapely_nn import DTypeError, ShapeError, layers, models
from shapely_nn.guards import GuardError
from shapely_nn.modules import Fan, Parallel, Stack
from shapely_nn.train import Adam, fit


def test_structure_follows_the_program() -> None:
    model = models.quivers_seq2seq(rng=0)
    columns, pair, _concat, cross, head = model.layers
    assert isinstance(columns, models.Columns) and isinstance(pair, Parallel)
    encoder = pair.branches[0]
    assert isinstance(encoder.layers[0], models.Embed)
    blocks = encoder.layers[1]
    assert isinstance(blocks, Stack) and len(blocks.layers) == 2
    fan_heads = blocks.layers[0].layers[0]
    assert isinstance(fan_heads, Fan) and len(fan_heads.heads) == 4
    assert [k.scale for k in blocks.layers[0].layers[1:]] == [0.1, 0.01, 1.0, 0.1, 0.01]
    assert (cross.in_features, cross.out_features) == (32, 32)
    assert isinstance(head, models.CategoricalHead) and head.out_features == 32
    # stack gives each block its own parameters
    w0 = blocks.layers[0].layers[1].linear.weight
    w1 = blocks.layers[1].layers[1].linear.weight
    assert not np.allclose(w0, w1)


def test_forward_gives_log_probabilities(rng: np.random.Generator) -> None:
    model = models.quivers_seq2seq(rng=0)
    x = sn.tensor(rng.integers(0, 32, size=(6, 2)))
    log_p = model(x).numpy()
    assert log_p.shape == (6, 32)
    np.testing.assert_allclose(np.exp(log_p).sum(-1), 1.0, rtol=1e-5)


def test_sampling_is_seeded(rng: np.random.Generator) -> None:
    model = models.quivers_seq2seq(rng=0)
    x = sn.tensor(rng.integers(0, 32, size=(50, 2)))
    hidden = model.layers[3](model.layers[2](model.layers[1](model.layers[0](x))))
    head = model.layers[-1]
    a, b = head.sample(hidden, rng=1), head.sample(hidden, rng=1)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.numpy().min() >= 0 and a.numpy().max() < 32


def test_ids_out_of_range_are_refused() -> None:
    model = models.quivers_seq2seq(rng=0)
    with pytest.raises(sn.guards.GuardError, match="every id in ids must be in \\[0, 32\\)"):
        model.forward(sn.tensor([[1, 40]]))
    with pytest.raises(ShapeError, match="Columns: expects \\[\\*B, 2\\] ids"):
        model(sn.tensor([[1, 2, 3]]))


def test_heads_must_fill_the_latent() -> None:
    with pytest.raises(ShapeError, match="fan\\(head\\) with 3 heads of HeadOut = 4 gives 12"):
        models.quivers_seq2seq(heads=3, rng=0)


def test_gradients(rng: np.random.Generator, check_grads: Any) -> None:
    model = models.quivers_seq2seq(
        source=5, target=5, latent=4, head_out=2, ff_hidden=3, heads=2, layers=1, rng=0
    ).astype(np.float64)
    x = sn.tensor(rng.integers(0, 5, size=(3, 2)))
    check_grads(model, x)


def test_maximum_likelihood_training_learns_the_next_token() -> None:
    gen = np.random.default_rng(0)
    data = []
    for _ in range(20):
        x = gen.integers(0, 8, size=(32, 2))
        data.append((sn.tensor(x), sn.tensor((x[:, 1] + 1) % 8)))  # next token: target + 1

    def step(model: Any, batch: tuple[Any, Any]) -> tuple[float, Any]:
        x, y = batch
        log_p, cache = model.forward(x)
        loss, grad = models.next_token_nll(log_p, y)
        grads, _ = model.backward(cache, grad)
        return loss, grads

    model = models.quivers_seq2seq(source=8, target=8, rng=1)
    model, losses = fit(model, data, step, Adam(0.01), epochs=15, rng=2, progress=False)
    assert losses[0] > 1.5 and losses[-1] < 0.2, losses


def test_embed_call_refuses_out_of_range_ids_as_forward_does() -> None:
    embed = models.Embed(layers.Embedding(6, 4, rng=0))
    ids = sn.tensor([[1, 6]])
    for call in (embed, embed.forward):
        with pytest.raises(
            GuardError, match=r"^every id in ids must be in \[0, 6\): ids\[\(0, 1\)\] = 6"
        ):
            call(ids)
    inside = sn.tensor([[1, 5]])
    np.testing.assert_array_equal(embed(inside).numpy(), embed.embedding.weight[[[1, 5]]])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: models.Embed(layers.Embedding(6, 4, rng=0))(np.array([1])), TypeError,
         'Embed: argument "ids" must be a shapely_nn Tensor, got numpy.ndarray'),
        (lambda: models.Embed(layers.Embedding(6, 4, rng=0))(sn.tensor([0.5])), DTypeError,
         "Embed: ids must be integer ids, got dtype float32"),
        (lambda: models.Columns()([[1, 2]]), TypeError,
         'Columns: argument "x" must be a shapely_nn Tensor, got list'),
        (lambda: models.Columns()(sn.tensor([[1.0, 2.0]])), DTypeError,
         "Columns: x must be integer ids, got dtype float32"),
        (lambda: models.next_token_nll(np.zeros((2, 3)), sn.tensor([0, 1])), TypeError,
         'next_token_nll: argument "log_probs" must be a shapely_nn Tensor'),
        (lambda: models.next_token_nll(sn.tensor([[0, 1]]), sn.tensor([0])), DTypeError,
         "next_token_nll: log_probs must be floats, got dtype int64"),
        (lambda: models.next_token_nll(sn.zeros((2, 3)), None), TypeError,
         'next_token_nll: argument "targets" must be a shapely_nn Tensor, got None'),
        (lambda: models.Kernel.init(3, 2, scale=True, rng=0), TypeError,
         "scale must be a real number, got bool True"),
        (lambda: models.Kernel.init(3, 2, scale=math.nan, rng=0), TypeError,
         "scale must be a finite real number, got nan"),
        (lambda: models.Kernel.init(3, 2, scale=0.0, rng=0), GuardError,
         "scale > 0 does not hold: scale = 0.0"),
        (lambda: models.quivers_seq2seq(heads=None, rng=0), TypeError,
         "heads must be an int, got None"),
        (lambda: models.quivers_seq2seq(latent=True, rng=0), TypeError,
         "latent must be an int, got bool True"),
    ],
)  # fmt: skip
def test_bad_input_gets_the_library_s_errors(
    call: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}"):
        call()
