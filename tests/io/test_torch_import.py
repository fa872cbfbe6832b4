"""The way back from PyTorch: from_torch and load_state_dict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import shapely_nn as sn
from shapely_nn import models
from shapely_nn.io import from_torch, load_state_dict, to_torch
from shapely_nn.layers import LayerNorm, Linear, MultiHeadAttention, TransformerEncoderLayer

torch.manual_seed(0)

TORCH_CASES: dict[str, tuple[Callable[[], Any], tuple[int, ...]]] = {
    "Linear": (lambda: torch.nn.Linear(5, 3), (4, 5)),
    "LSTM": (lambda: torch.nn.LSTM(5, 4), (6, 2, 5)),
    "GRU 2 layers bidirectional": (
        lambda: torch.nn.GRU(5, 4, num_layers=2, bidirectional=True),
        (6, 2, 5),
    ),
    "RNN bidirectional": (lambda: torch.nn.RNN(5, 4, bidirectional=True), (6, 2, 5)),
    "LayerNorm": (lambda: torch.nn.LayerNorm(5), (3, 5)),
    "Sequential": (
        lambda: torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)),
        (3, 5),
    ),
    "TransformerEncoderLayer": (
        lambda: torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True),
        (2, 5, 8),
    ),
}


def _first(out: Any) -> Any:
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_from_torch_matches_trained_torch_modules(name: str) -> None:
    build, shape = TORCH_CASES[name]
    tm = build().eval()
    with torch.no_grad():  # make every parameter, bias_hh included, non-trivial
        for p in tm.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ours = from_torch(tm)
    expected = _first(tm(torch.from_numpy(x))).detach().numpy()
    np.testing.assert_allclose(_first(ours(sn.tensor(x))).numpy(), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "build",
    [
        lambda: models.BiLSTMModel.init(5, 4, 3, rng=0),
        lambda: models.quivers_seq2seq(rng=0),
        lambda: MultiHeadAttention(8, 2, rng=0),
        lambda: TransformerEncoderLayer(8, 2, 16, rng=0),
        lambda: LayerNorm(6),
    ],
    ids=["BiLSTMModel", "quivers", "MultiHeadAttention", "TransformerEncoderLayer", "LayerNorm"],
)
def test_round_trip_through_a_state_dict(build: Callable[[], Any]) -> None:
    module = build()
    shifted = {k: v + 0.5 for k, v in module.parameters().items()}
    target = module.with_parameters(shifted)
    loaded = load_state_dict(module, to_torch(target).state_dict())
    for name, value in target.parameters().items():
        np.testing.assert_array_equal(loaded.parameters()[name], value)


def test_bias_hh_is_folded_into_the_single_bias() -> None:
    tm = torch.nn.LSTM(3, 2)
    with torch.no_grad():
        tm.bias_hh_l0.fill_(0.25)
    ours = from_torch(tm)
    np.testing.assert_allclose(
        ours.forget_bias, (tm.bias_ih_l0[2:4] + tm.bias_hh_l0[2:4]).detach().numpy(), rtol=1e-6
    )


def test_gru_candidate_hidden_bias_stays_separate() -> None:
    tm = torch.nn.GRU(3, 2)
    with torch.no_grad():
        tm.bias_hh_l0.fill_(0.5)
    x = np.random.default_rng(1).standard_normal((4, 1, 3)).astype(np.float32)
    np.testing.assert_allclose(
        from_torch(tm)(sn.tensor(x)).numpy(),
        tm(torch.from_numpy(x))[0].detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )


def test_wrong_state_dict_is_refused() -> None:
    layer = Linear(3, 2, rng=0)
    with pytest.raises(KeyError, match="state_dict is missing keys \\['bias'\\]"):
        load_state_dict(layer, {"weight": torch.zeros(2, 3)})
    with pytest.raises(
        sn.ShapeError, match="weight has shape \\[3, 3\\], the module's export has \\[2, 3\\]"
    ):
        load_state_dict(layer, {"weight": torch.zeros(3, 3), "bias": torch.zeros(2)})


def test_unsupported_torch_module_is_named() -> None:
    with pytest.raises(TypeError, match="no shapely_nn equivalent for torch module Conv1d"):
        from_torch(torch.nn.Conv1d(2, 2, 3))
    with pytest.raises(ValueError, match="only tanh RNNs"):
        from_torch(torch.nn.RNN(3, 2, nonlinearity="relu"))
