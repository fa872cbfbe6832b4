"""``leading_dims``: which parts keep the caller's leading dims, and chains that say so.

A ``SameLead`` claim is what lets the mypy plugin give a chain's result the caller's leading
dims, so every claim is held to the layer's own ``__call__`` annotation and to what it does.
"""

from __future__ import annotations

import importlib
import pkgutil
import typing
from typing import Any

import numpy as np
import pytest

import shapely_nn
from shapely_nn import Tensor
from shapely_nn.layers import Dropout, Embedding, LayerNorm, Linear, ReLU, Softmax, Tanh
from shapely_nn.layers._base import Layer
from shapely_nn.modules import LSTM, AnyLead, Chain, SameLead, fan, residual, stack


def _all_layer_classes() -> list[type[Layer]]:
    for package in ("layers", "modules", "models"):
        path = [f"{shapely_nn.__path__[0]}/{package}"]
        for info in pkgutil.iter_modules(path, f"shapely_nn.{package}."):
            importlib.import_module(info.name)
    found: list[type[Layer]] = []
    todo: list[type[Layer]] = [Layer]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(set(found), key=lambda c: c.__qualname__)


def _claims_same_lead(cls: type[Layer]) -> bool:
    prop = cls.__dict__.get("leading_dims")
    if not isinstance(prop, property) or prop.fget is None:
        return False
    return typing.get_type_hints(prop.fget).get("return") is SameLead


CLAIMS = [c for c in _all_layer_classes() if _claims_same_lead(c)]


def test_the_claims_are_the_layers_that_keep_their_leading_dims() -> None:
    names = {c.__name__ for c in CLAIMS}
    assert {"Linear", "_Activation", "Dropout", "_AxisLayer", "LayerNorm", "Fan"} <= names
    assert {"Residual"} <= names
    # Sequence layers read [T, *B, In] (time first), an embedding adds the feature axis.
    assert not names & {"LSTM", "GRU", "RNN", "Embedding", "Concat", "Parallel", "Chain"}


@pytest.mark.parametrize("cls", CLAIMS, ids=lambda c: c.__name__)
def test_a_same_lead_layer_is_annotated_star_batch_in_to_star_batch_out(cls: type) -> None:
    hints = typing.get_type_hints(cls.__call__)
    params = [p for p in hints if p != "return"]
    x, out = hints[params[0]], hints["return"]
    assert typing.get_origin(x) is Tensor and typing.get_origin(out) is Tensor
    x_args, out_args = typing.get_args(x), typing.get_args(out)
    # The same variadic first, then at most the feature axis.
    assert typing.get_origin(x_args[0]) is typing.Unpack, x
    assert x_args[0] == out_args[0], (x, out)
    assert len(x_args) == len(out_args) <= 2


def _parts(rng: np.random.Generator) -> list[Any]:
    return [
        Linear(6, 6, rng=rng),
        Tanh(),
        ReLU(),
        Dropout(0.5),
        Softmax(),
        LayerNorm(6),
        fan(lambda g: Linear(6, 3, rng=g), 2, rng=rng),
        residual(Linear(6, 6, rng=rng)),
        stack(lambda g: Linear(6, 6, rng=g) >> Tanh(), 2, rng=rng),
    ]


@pytest.mark.parametrize("lead", [(), (5,), (4, 3), (2, 3, 2)])
def test_same_lead_parts_give_back_the_leading_dims(lead: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((*lead, 6)).astype(np.float32))
    for part in _parts(rng):
        assert isinstance(part.leading_dims, SameLead), part
        assert part(x).numpy().shape == (*lead, 6), part
    net = Chain(_parts(rng))
    assert isinstance(net.leading_dims, SameLead)
    assert net(x).numpy().shape == (*lead, 6)


def test_a_chain_with_a_part_that_moves_axes_is_any_lead() -> None:
    lm = Embedding(10, 4, rng=0) >> Linear(4, 2, rng=1)
    assert type(lm.leading_dims) is AnyLead
    assert lm(Tensor(np.array([[1, 2, 3]]))).numpy().shape == (1, 3, 2)
    seq = LSTM(4, 3, rng=0) >> Linear(3, 2, rng=1)
    assert type(seq.leading_dims) is AnyLead
    # Parts that are not layers say nothing: the chain claims nothing either.
    duck = Chain([Linear(4, 4, rng=0), lambda t: t])
    assert type(duck.leading_dims) is AnyLead
    assert repr(SameLead()) == "SameLead()"
