"""``layer(x)`` (the inference path: no tape) gives ``layer.forward(x)[0]``, on both paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from shapely_nn import Tensor
from shapely_nn.layers import (
    GRUCell,
    LSTMCell,
    MultiHeadAttention,
    RNNCell,
    TransformerDecoderLayer,
    TransformerEncoderLayer,
    _fast,
)
from shapely_nn.models import AttentionSeq2Seq, Seq2Seq
from shapely_nn.modules import GRU, LSTM, RNN, BiGRU, BiLSTM, RecurrentStack

F64 = np.float64


def _t(*shape: int, seed: int = 0) -> Tensor[Any, Any, Any]:
    return Tensor(np.random.default_rng(seed).standard_normal(shape))


def _onehot(steps: int, batch: int, vocab: int, seed: int) -> Tensor[Any, Any, Any]:
    ids = np.random.default_rng(seed).integers(0, vocab, size=(steps, batch))
    return Tensor(np.eye(vocab)[ids])


def _first(y: Any) -> Any:
    return y[0] if isinstance(y, tuple) else y


CASES: dict[str, Callable[[], tuple[Any, Any, Any]]] = {
    # name -> (call, forward, args)
    "RNN": lambda: _seq(RNN(3, 5, rng=0, dtype=F64)),
    "GRU": lambda: _seq(GRU(3, 5, rng=0, dtype=F64)),
    "LSTM": lambda: _seq(LSTM(3, 5, rng=0, dtype=F64)),
    "BiLSTM": lambda: _seq(BiLSTM(3, 5, rng=0, dtype=F64)),
    "BiGRU": lambda: _seq(BiGRU(3, 5, rng=0, dtype=F64)),
    "RecurrentStack": lambda: _seq(
        RecurrentStack([LSTM(3, 5, rng=0, dtype=F64), BiGRU(5, 4, rng=1, dtype=F64)])
    ),
    "RNNCell": lambda: _cell(RNNCell(3, 5, rng=0, dtype=F64)),
    "GRUCell": lambda: _cell(GRUCell(3, 5, rng=0, dtype=F64)),
    "LSTMCell": lambda: _cell(LSTMCell(3, 5, rng=0, dtype=F64)),
    "MultiHeadAttention": lambda: _bf(MultiHeadAttention(8, 2, rng=0, dtype=F64)),
    "TransformerEncoderLayer": lambda: _bf(TransformerEncoderLayer(8, 2, 16, rng=0, dtype=F64)),
    "Seq2Seq rnn": lambda: _s2s(Seq2Seq.init(6, 7, 4, 5, rng=0, dtype=F64)),
    "Seq2Seq lstm + self-attention": lambda: _s2s(
        Seq2Seq.init(6, 7, 4, 5, encoder="lstm", heads=2, causal=True, rng=0, dtype=F64)
    ),
    "Seq2Seq transformer": lambda: _s2s(
        Seq2Seq.init(6, 7, 4, 4, encoder="transformer", rng=0, dtype=F64)
    ),
    "AttentionSeq2Seq lstm": lambda: _s2s(
        AttentionSeq2Seq.init(6, 7, 4, 5, encoder="lstm", rng=0, dtype=F64)
    ),
}


def _seq(layer: Any) -> tuple[Any, Any, Any]:
    return layer, layer.forward, (_t(6, 2, 3),)


def _cell(layer: Any) -> tuple[Any, Any, Any]:
    return layer, layer.forward, (_t(2, 3),)


def _bf(layer: Any) -> tuple[Any, Any, Any]:
    return layer, layer.forward, (_t(2, 5, 8),)


def _s2s(model: Any) -> tuple[Any, Any, Any]:
    return model, model.forward, ((_onehot(5, 2, 6, 1), _onehot(4, 2, 7, 2)),)


@pytest.mark.parametrize("fast", [False, True], ids=["numpy", "fast"])
@pytest.mark.parametrize("name", list(CASES))
def test_call_gives_forward_output(name: str, fast: bool) -> None:
    if fast:
        import numba  # noqa: F401  (the test extra installs it: no skip)
    call, forward, args = CASES[name]()
    with _fast.fast_kernels(fast):
        expected = _first(forward(*args)[0])
        got = _first(call(*args))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", [RNN, GRU, LSTM])
def test_run_gives_forward_final_state(kind: Any, variant: str) -> None:
    layer = kind(3, 5, rng=0, dtype=F64)
    x = _t(6, 2, 3)
    y, final = layer.run(x)
    y_forward, cache = layer.forward(x)
    finals = final if isinstance(final, tuple) else (final,)
    assert len(finals) == len(cache.final_state)
    for a, b in zip(finals, cache.final_state, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(y.numpy(), y_forward.numpy())


def test_call_concat_gives_forward_concat() -> None:
    cell = LSTMCell(3, 4, rng=0, dtype=F64)
    xhc = _t(2, 11)
    np.testing.assert_array_equal(
        cell.call_concat(xhc).numpy(), cell.forward_concat(xhc)[0].numpy()
    )


def test_greedy_decoding_unchanged_by_the_path() -> None:
    import numba  # noqa: F401  (the test extra installs it: no skip)

    model = AttentionSeq2Seq.init(6, 7, 4, 5, encoder="lstm", rng=0, dtype=F64)
    src = Tensor(np.random.default_rng(0).integers(0, 6, size=(5, 3)))
    results = []
    for fast in (False, True):
        with _fast.fast_kernels(fast):
            results.append(model.forward_inference(src, 0, 4))
    np.testing.assert_array_equal(results[0][1].numpy(), results[1][1].numpy())
    np.testing.assert_allclose(results[0][0].numpy(), results[1][0].numpy(), rtol=1e-10)


def test_transformer_decoder_layer_call() -> None:
    layer = TransformerDecoderLayer(8, 2, 16, rng=0, dtype=F64)
    tgt, memory = _t(2, 4, 8, seed=1), _t(2, 5, 8, seed=2)
    np.testing.assert_allclose(
        layer(tgt, memory).numpy(), layer.forward(tgt, memory)[0].numpy(), rtol=1e-12
    )
