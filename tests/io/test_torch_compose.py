"""to_torch on composed modules and zoo models: equal outputs on the same input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import shapely_nn as sn
from shapely_nn import models
from shapely_nn.io import to_pytorch_source, to_torch
from shapely_nn.layers import Linear, Tanh
from shapely_nn.modules import Concat, fan, residual, stack

T, B, IN, H, OUT = 4, 3, 5, 6, 2


def _seq(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((T, B, IN)).astype(np.float32)


CASES: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
    "chain": (
        lambda: Linear(IN, H, rng=0) >> Tanh() >> Linear(H, OUT, rng=1),
        lambda: _seq(0)[0],
    ),
    "fan+stack+residual": (
        lambda: (
            stack(lambda g: residual(Linear(IN, IN, rng=g) >> Tanh()), 2, rng=0)
            >> fan(lambda g: Linear(IN, 2, rng=g), 3, rng=1)
        ),
        lambda: _seq(1)[0],
    ),
    "SimpleLSTMModel": (lambda: models.SimpleLSTMModel.init(IN, H, OUT, rng=0), lambda: _seq(2)),
    "MultiLayerRNN": (lambda: models.MultiLayerRNN.init(IN, H, OUT, 2, rng=0), lambda: _seq(3)),
    "RNNClassifier": (lambda: models.RNNClassifier.init(IN, H, OUT, rng=0), lambda: _seq(4)),
    "LSTMClassifier": (lambda: models.LSTMClassifier.init(IN, H, OUT, rng=0), lambda: _seq(5)),
    "BiLSTMModel": (lambda: models.BiLSTMModel.init(IN, H, OUT, rng=0), lambda: _seq(6)),
    "BiRNNModel": (lambda: models.BiRNNModel.init(IN, H, OUT, rng=0), lambda: _seq(7)),
    "MultiLayerLSTM": (lambda: models.MultiLayerLSTM.init(IN, H, OUT, 2, rng=0), lambda: _seq(8)),
    "bilstm_classifier_chain": (
        lambda: models.bilstm_classifier_chain(IN, H, OUT, rng=0),
        lambda: _seq(9),
    ),
    "two_layer_lstm_chain": (
        lambda: models.two_layer_lstm_chain(IN, H, OUT, rng=0),
        lambda: _seq(10),
    ),
}


def _as_torch(x: Any) -> Any:
    return tuple(_as_torch(v) for v in x) if isinstance(x, tuple) else torch.from_numpy(x)


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_match(name: str) -> None:
    build, make_input = CASES[name]
    module, x = build(), make_input()
    ours = module(sn.tensor(x)).numpy()
    theirs = to_torch(module)(_as_torch(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_parameters_carry_over() -> None:
    module = models.SimpleLSTMModel.init(IN, H, OUT, rng=0)
    exported = to_torch(module)
    ours = sum(int(np.prod(a.shape)) for a in module.parameters().values())
    # torch keeps two LSTM biases where the seed layout has one (bias_hh is exported as zero)
    theirs = sum(p.numel() for name, p in exported.named_parameters() if "bias_hh" not in name)
    assert ours == theirs


def test_parallel_concat_and_quivers_program() -> None:
    model = (Linear(3, 4, rng=0) @ Linear(5, 4, rng=1)) >> Concat() >> Linear(8, 2, rng=2)
    gen = np.random.default_rng(0)
    x1 = gen.standard_normal((2, 3)).astype(np.float32)
    x2 = gen.standard_normal((2, 5)).astype(np.float32)
    ours = model((sn.tensor(x1), sn.tensor(x2))).numpy()
    theirs = to_torch(model)((torch.from_numpy(x1), torch.from_numpy(x2))).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)

    program = models.quivers_seq2seq(rng=0)
    ids = gen.integers(0, 32, size=(6, 2))
    ours = program(sn.tensor(ids)).numpy()
    theirs = to_torch(program)(torch.from_numpy(ids)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


SOURCE_CASES = [
    "chain",
    "fan+stack+residual",
    "BiLSTMModel",
    "MultiLayerLSTM",
    "LSTMClassifier",
]


@pytest.mark.parametrize("name", SOURCE_CASES)
def test_pytorch_source_runs_and_matches(name: str) -> None:
    build, make_input = CASES[name]
    module, x = build(), make_input()
    source = to_pytorch_source(module)
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<{name}>", "exec"), namespace)
    rebuilt = namespace["build"]()
    rebuilt.load_state_dict(to_torch(module).state_dict())
    theirs = rebuilt(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(module(sn.tensor(x)).numpy(), theirs, rtol=1e-4, atol=1e-5)


def test_pytorch_source_reads_like_pytorch() -> None:
    source = to_pytorch_source(Linear(IN, H, rng=0) >> Tanh() >> Linear(H, OUT, rng=1))
    assert "nn.Linear(in_features=5, out_features=6, bias=True)," in source
    assert "nn.Tanh()," in source
    assert source.count("def build():") == 1


def test_pytorch_source_for_attention_layers() -> None:
    from shapely_nn.layers import MultiHeadAttention, TransformerEncoderLayer

    layer = TransformerEncoderLayer(8, 2, 16, rng=0)
    namespace: dict[str, Any] = {}
    exec(to_pytorch_source(layer), namespace)
    rebuilt = namespace["build"]()
    rebuilt.load_state_dict(to_torch(layer).state_dict())
    rebuilt.eval()
    x = np.random.default_rng(0).standard_normal((2, 5, 8)).astype(np.float32)
    np.testing.assert_allclose(
        layer(sn.tensor(x)).numpy(),
        rebuilt(torch.from_numpy(x)).detach().numpy(),
        rtol=1e-4,
        atol=1e-5,
    )
    assert "nn.MultiheadAttention(8, 2" in to_pytorch_source(MultiHeadAttention(8, 2, rng=0))
