"""Plain NumPy models with jaxtyping annotations: shapes computed, nothing reported."""
from typing import reveal_type

import numpy as np
from jaxtyping import Float, Int


def linear(
    x: Float[np.ndarray, "b i"], w: Float[np.ndarray, "o i"], bias: Float[np.ndarray, "o"]
) -> Float[np.ndarray, "b o"]:
    return x @ w.T + bias


def mlp(x: Float[np.ndarray, "b 8"], w1: Float[np.ndarray, "16 8"], w2: Float[np.ndarray, "4 16"]) -> Float[np.ndarray, "b 4"]:
    h = np.maximum(linear(x, w1, np.zeros(16)), 0.0)
    reveal_type(h)  # N: Revealed type is "numpy.ndarray[tuple[b, Literal[16]], numpy.dtype[Any]]"
    return linear(h, w2, np.zeros(4))


def rnn_cell(
    x: Float[np.ndarray, "b i"], h: Float[np.ndarray, "b h"], w: Float[np.ndarray, "i+h h"]
) -> Float[np.ndarray, "b h"]:
    xh = np.concatenate([x, h], axis=-1)
    reveal_type(xh)  # N: Revealed type is "numpy.ndarray[tuple[b, shapely_nn_dims.Add[h, i]], numpy.dtype[Any]]"
    return np.tanh(xh @ w)


def lstm_cell(
    x: Float[np.ndarray, "b i"],
    h: Float[np.ndarray, "b h"],
    c: Float[np.ndarray, "b h"],
    w: Float[np.ndarray, "i+h 4*h"],
) -> tuple[Float[np.ndarray, "b h"], Float[np.ndarray, "b h"]]:
    gates = np.concatenate([x, h], axis=-1) @ w
    i, f, g, o = np.split(gates, 4, axis=-1)
    reveal_type(i)  # N: Revealed type is "numpy.ndarray[tuple[b, h], numpy.dtype[Any]]"
    c_next = f * c + i * np.tanh(g)
    return o * np.tanh(c_next), c_next


def softmax(z: Float[np.ndarray, "b n"]) -> Float[np.ndarray, "b n"]:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def attention(
    q: Float[np.ndarray, "b t d"], k: Float[np.ndarray, "b s d"], v: Float[np.ndarray, "b s e"]
) -> Float[np.ndarray, "b t e"]:
    scores = np.einsum("btd,bsd->bts", q, k)
    reveal_type(scores)  # N: Revealed type is "numpy.ndarray[tuple[b, t, s], numpy.dtype[Any]]"
    same = q @ k.swapaxes(-1, -2)
    reveal_type(same)  # N: Revealed type is "numpy.ndarray[tuple[b, t, s], numpy.dtype[Any]]"
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return weights @ v


def split_heads(x: Float[np.ndarray, "b t 64"]) -> Float[np.ndarray, "b 4 t 16"]:
    b, t, _ = x.shape
    heads = x.reshape(b, t, 4, 16)
    reveal_type(heads)  # N: Revealed type is "numpy.ndarray[tuple[b, t, Literal[4], Literal[16]], numpy.dtype[Any]]"
    return heads.transpose(0, 2, 1, 3)


def merge_heads(x: Float[np.ndarray, "b 4 t 16"]) -> Float[np.ndarray, "b t 64"]:
    b, _, t, _ = x.shape
    return np.moveaxis(x, 1, 2).reshape(b, t, -1)


def embed(table: Float[np.ndarray, "v d"], ids: Int[np.ndarray, "b t"]) -> Float[np.ndarray, "b t d"]:
    return table[ids]


def pool(h: Float[np.ndarray, "t b d"]) -> Float[np.ndarray, "b d"]:
    reveal_type(h[-1])  # N: Revealed type is "numpy.ndarray[tuple[b, d], numpy.dtype[Any]]"
    reveal_type(h[:, 0])  # N: Revealed type is "numpy.ndarray[tuple[t, d], numpy.dtype[Any]]"
    reveal_type(h[None])  # N: Revealed type is "numpy.ndarray[tuple[Literal[1], t, b, d], numpy.dtype[Any]]"
    reveal_type(h[..., 0])  # N: Revealed type is "numpy.ndarray[tuple[t, b], numpy.dtype[Any]]"
    return h.mean(axis=0)


def stacked(a: Float[np.ndarray, "b d"], c: Float[np.ndarray, "b d"]) -> Float[np.ndarray, "2 b d"]:
    return np.stack([a, c])


def gradual(x: Float[np.ndarray, "*batch d"], y: Float[np.ndarray, "... d"], z: Float[np.ndarray, "_ #c"]) -> Float[np.ndarray, "*batch d"]:
    return x + y


def project(x: Float[np.ndarray, "*batch d"], w: Float[np.ndarray, "d e"]) -> Float[np.ndarray, "*batch e"]:
    return x @ w


def batched(a: Float[np.ndarray, "b t 3"], w: Float[np.ndarray, "3 5"]) -> Float[np.ndarray, "b t 5"]:
    reveal_type(project(a, w))  # N: Revealed type is "numpy.ndarray[tuple[b, t, Literal[5]], numpy.dtype[Any]]"
    return project(a, w)


def named_is_literal(x: Float[np.ndarray, "b 3"]) -> Float[np.ndarray, "4 3"]:
    y: Float[np.ndarray, "4 3"] = x
    return y


def plain(x: np.ndarray, y: Float[np.ndarray, "b d"]) -> Float[np.ndarray, "b d"]:
    return y + x


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 8))
    mlp(x, rng.standard_normal((16, 8)), rng.standard_normal((4, 16)))
    rnn_cell(rng.standard_normal((2, 3)), np.zeros((2, 4)), rng.standard_normal((7, 4)))
    lstm_cell(np.ones((2, 3)), np.zeros((2, 4)), np.zeros((2, 4)), np.ones((7, 16)))
    softmax(rng.standard_normal((2, 5)))
    attention(np.ones((2, 3, 8)), np.ones((2, 4, 8)), np.ones((2, 4, 5)))
    merge_heads(split_heads(np.ones((2, 3, 64))))
    embed(np.ones((10, 4)), np.zeros((2, 3), dtype=np.int64))
    pool(np.ones((5, 2, 3)))
    stacked(np.ones((2, 3)), np.ones((2, 3)))
    gradual(np.ones((2, 3, 4)), np.ones((4,)), np.ones((2, 1)))
    plain(np.ones((2, 3)), np.ones((2, 3)))
    batched(np.ones((2, 4, 3)), np.ones((3, 5)))
    named_is_literal(np.ones((4, 3)))
    zeros: Float[np.ndarray, "3 4"] = np.zeros((3, 4))
    reveal_type(zeros)  # N: Revealed type is "numpy.ndarray[tuple[Literal[3], Literal[4]], numpy.dtype[Any]]"
