"""Embedding: id lookup (out-of-range ids give zeros), one-hot path and its backward."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _helpers import assert_rel_close, check_gradients

from shapely_nn import DTypeError, GuardError, ShapeError, Tensor
from shapely_nn.io import to_torch
from shapely_nn.layers import Embedding, EmbeddingGrads

VOCAB, EMBED = 7, 5


def _ids(*values: int) -> Tensor:  # type: ignore[type-arg]
    return Tensor(np.array(values, dtype=np.int64))


def test_table_shape_init_and_dtype() -> None:
    emb = Embedding(VOCAB, EMBED, rng=0)
    assert emb.weight.shape == (VOCAB, EMBED) and emb.weight.dtype == np.float32
    assert (emb.vocab_size, emb.embed_dim) == (VOCAB, EMBED)
    np.testing.assert_array_equal(emb.weight, Embedding(VOCAB, EMBED, rng=0).weight)
    assert Embedding(VOCAB, EMBED, rng=0, dtype=np.float64).weight.dtype == np.float64


def test_ids_select_rows_like_torch_embedding(rng: np.random.Generator) -> None:
    emb = Embedding(VOCAB, EMBED, rng=rng)
    ids = rng.integers(0, VOCAB, size=(3, 4))
    y = emb(Tensor(ids))
    assert y.shape.dims == (3, 4, EMBED)
    expected = to_torch(emb)(torch.from_numpy(ids))
    assert_rel_close(y, expected, what="embedding")


def test_out_of_range_ids_give_the_zero_vector() -> None:
    emb = Embedding(VOCAB, EMBED, rng=0)
    y = emb(_ids(2, VOCAB, -1, 10**6, 0)).numpy()
    np.testing.assert_array_equal(y[[1, 2, 3]], np.zeros((3, EMBED), np.float32))
    np.testing.assert_array_equal(y[0], emb.weight[2])  # the in-range ones are untouched
    np.testing.assert_array_equal(y[4], emb.weight[0])


def test_lookup_does_not_alias_the_table() -> None:
    emb = Embedding(VOCAB, EMBED, rng=0)
    before = emb.weight.copy()
    emb(_ids(1, VOCAB)).numpy()[...] = 42.0
    np.testing.assert_array_equal(emb.weight, before)


def test_a_scalar_id_gives_one_vector() -> None:
    emb = Embedding(VOCAB, EMBED, rng=0)
    y = emb(Tensor(np.array(3, dtype=np.int64)))
    assert y.shape.dims == (EMBED,)
    np.testing.assert_array_equal(y.numpy(), emb.weight[3])


def test_float_ids_are_refused() -> None:
    emb = Embedding(VOCAB, EMBED, rng=0)
    with pytest.raises(
        DTypeError, match=r"Embedding\[7, 5\] takes integer token ids, got dtype float32"
    ):
        emb(Tensor(np.zeros(3, np.float32)))


def test_onehot_rows_embed_like_their_ids(rng: np.random.Generator) -> None:
    emb = Embedding(VOCAB, EMBED, rng=0)
    ids = rng.integers(0, VOCAB, size=(2, 3))
    onehot = np.eye(VOCAB, dtype=np.float32)[ids]
    np.testing.assert_allclose(
        emb.forward_onehot(Tensor(onehot)).numpy(), emb(Tensor(ids)).numpy(), rtol=1e-6
    )


def test_onehot_backward_matches_torch_embedding_grad(rng: np.random.Generator) -> None:
    emb = Embedding(VOCAB, EMBED, rng=rng)
    ids = rng.integers(0, VOCAB, size=(4, 3))  # repeats, so rows accumulate
    g = rng.standard_normal((4, 3, EMBED)).astype(np.float32)
    grads, _ = emb.backward_onehot(Tensor(np.eye(VOCAB, dtype=np.float32)[ids]), Tensor(g))
    module = to_torch(emb)
    (module(torch.from_numpy(ids)) * torch.from_numpy(g)).sum().backward()
    assert isinstance(grads, EmbeddingGrads)
    assert grads.as_dict().keys() == emb.parameters().keys()
    assert_rel_close(grads.weight, module.weight.grad, what="dE")


def test_onehot_gradients_pass_gradcheck(rng: np.random.Generator) -> None:
    emb = Embedding(4, 3, rng=rng, dtype=np.float64)
    x = rng.random((2, 3, 4))  # token distributions, not only one-hot rows
    w = rng.standard_normal((2, 3, 3))
    grads, dx = emb.backward_onehot(Tensor(x), Tensor(w))
    check_gradients(
        lambda: float(np.sum(emb.forward_onehot(Tensor(x)).numpy() * w)),
        {"weight": emb.weight, "onehot": x},
        {"weight": grads.weight, "onehot": dx},
    )


def test_onehot_with_a_wrong_vocab_names_the_dim() -> None:
    emb = Embedding(VOCAB, EMBED, rng=0)
    with pytest.raises(
        ShapeError, match=r"Embedding\[7, 5\] expects one-hot rows with last dim Vocab = 7, got 6"
    ):
        emb.forward_onehot(Tensor(np.zeros((2, 6), np.float32)))


def test_onehot_backward_checks_the_grad_shape() -> None:
    emb = Embedding(VOCAB, EMBED, rng=0)
    x = Tensor(np.zeros((2, VOCAB), np.float32))
    with pytest.raises(ShapeError, match=r"grad_y has shape \[2, 4\], expected \[2, 5\]"):
        emb.backward_onehot(x, Tensor(np.zeros((2, 4), np.float32)))


def test_nonpositive_sizes_are_refused() -> None:
    with pytest.raises(GuardError, match="^vocab_size > 0 does not hold: vocab_size = 0$"):
        Embedding(0, EMBED, rng=0)
