"""Typed composition: ``>>``, ``@``, ``fan``, ``stack`` and ``residual`` keep the feature sizes."""
from typing import Literal as L, TypeVar, reveal_type

from shapely_nn import Add, Tensor
from shapely_nn.layers import Embedding, LayerNorm, Linear, ReLU, Tanh
from shapely_nn.modules import LSTM, BiLSTM, Chain, Module, SameLead, fan, residual, stack

B = TypeVar("B", bound=int)
T = TypeVar("T", bound=int)
In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)


def chains(x: Tensor[B, L[3]]) -> None:
    mlp = Linear(3, 4, rng=0) >> Tanh() >> Linear(4, 2, rng=1)
    reveal_type(mlp)  # N: Revealed type is "shapely_nn.layers._chain.Chain[Literal[3], Literal[2], shapely_nn.layers._base.SameLead]"
    reveal_type(mlp(x))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, Literal[2]]"
    pair = Linear(3, 4, rng=0) @ Linear(5, 6, rng=1)
    reveal_type(pair)  # N: Revealed type is "shapely_nn.layers._chain.Parallel[Literal[3], Literal[4], Literal[5], Literal[6]]"
    heads = fan(lambda g: Linear(16, 4, rng=g), 4, rng=0)
    reveal_type(heads)  # N: Revealed type is "shapely_nn.modules._compose.Fan[Literal[16], Literal[16]]"
    reveal_type(heads >> Linear(16, 16, rng=1))  # N: Revealed type is "shapely_nn.layers._chain.Chain[Literal[16], Literal[16], shapely_nn.layers._base.SameLead]"
    blocks = stack(lambda g: Linear(8, 8, rng=g) >> ReLU(), 3, rng=0)
    reveal_type(blocks)  # N: Revealed type is "shapely_nn.modules._compose.Stack[Literal[8], shapely_nn.layers._base.SameLead]"
    reveal_type(residual(Linear(8, 8, rng=0)))  # N: Revealed type is "shapely_nn.modules._compose.Residual[Literal[8]]"


def recurrent(lstm: LSTM[In, H], bi: BiLSTM[H, H], head: Linear[Add[H, H], L[5]]) -> Chain[In, L[5]]:
    reveal_type(lstm >> bi)  # N: Revealed type is "shapely_nn.layers._chain.Chain[In, shapely_nn_dims.Mul[Literal[2], H], shapely_nn.layers._base.AnyLead]"
    return lstm >> bi >> head


def symbolic_fan(n: int) -> None:
    reveal_type(fan(lambda g: Linear(16, 4, rng=g), n, rng=0))  # N: Revealed type is "shapely_nn.modules._compose.Fan[Literal[16], Any]"


def as_module(m: Module[L[4], L[2]]) -> Chain[L[3], L[2]]:
    return Linear(3, 4, rng=0) >> m


def embed_then_lstm() -> None:
    lm = Embedding(100, 16, rng=0) >> LSTM(16, 32, rng=1) >> Linear(32, 100, rng=2)
    reveal_type(lm)  # N: Revealed type is "shapely_nn.layers._chain.Chain[Any, Literal[100], shapely_nn.layers._base.AnyLead]"


# Parts that keep the leading dims make a chain that gives the caller's leading dims back.
def keeps_leading_dims(x: Tensor[B, L[64]], seq: Tensor[T, B, L[8]]) -> Tensor[B, L[10]]:
    net = Linear(64, 32, rng=0) >> ReLU() >> Linear(32, 10, rng=1)
    reveal_type(net(x))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, Literal[10]]"
    blocks = stack(lambda g: Linear(8, 8, rng=g) >> ReLU(), 2, rng=0) >> residual(Linear(8, 8, rng=1))
    reveal_type(blocks(seq))  # N: Revealed type is "shapely_nn._tensor.Tensor[T, B, Literal[8]]"
    heads = fan(lambda g: Linear(8, 4, rng=g), 2, rng=0) >> LayerNorm(8)
    reveal_type(heads(seq))  # N: Revealed type is "shapely_nn._tensor.Tensor[T, B, Literal[8]]"
    kept: Chain[L[64], L[10], SameLead] = net
    loose: Chain[L[64], L[10]] = net
    reveal_type(kept(x))  # N: Revealed type is "shapely_nn._tensor.Tensor[B, Literal[10]]"
    reveal_type(loose(x))  # N: Revealed type is "shapely_nn._tensor.Tensor[*tuple[Any, ...], Literal[10]]"
    return net(x)
