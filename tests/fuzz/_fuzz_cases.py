"""One registry of every public name of ``shapely_nn`` and its packages, for the bad-input fuzz.

Each ``Case`` says how to make a good call: ``good()`` builds fresh arguments by name (small
sizes, fixed seeds), ``run(args)`` calls the public name with them, and ``kinds`` says which
arguments the fuzz replaces and with what (``_fuzz_kinds``); ``shapely_nn.infer``'s cases are
in ``_fuzz_infer``. ``NOT_CALLED`` lists the public names that are not calls (exceptions,
grad records, protocols, type-level dims, submodules), each with its reason. A test fails
when a public name is in neither, so a new name must be registered here.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from _fuzz_case import Args, Case
from _fuzz_infer import INFER_CASES, INFER_NOT_CALLED
from _fuzz_kinds import (
    ARRAY_IDS,
    DTYPE,
    ELEMENTWISE,
    FLAG,
    IDS,
    INDEX,
    INTS,
    NAMES,
    NONNEGATIVE,
    OBJECT,
    OPERAND,
    PAIR,
    PATH,
    POSITIVE,
    RATE,
    RATE_BELOW_ONE,
    RNG,
    SHAPE,
    SIZE,
    TENSOR,
    TENSOR_DTYPE,
    TENSOR_LIST,
    Kind,
    Variant,
    choice,
    refuse,
)
from hypothesis import strategies as st

import shapely_nn as sn
from shapely_nn import infer, io, layers as L, models as M, modules as N, qvr, train

PACKAGES = {
    "shapely_nn": sn,
    "shapely_nn.layers": L,
    "shapely_nn.modules": N,
    "shapely_nn.models": M,
    "shapely_nn.train": train,
    "shapely_nn.io": io,
    "shapely_nn.qvr": qvr,
    "shapely_nn.infer": infer,
}
"""Whose ``__all__`` the registry must cover."""

T, B, IN, H, OUT, V, E = 3, 2, 4, 5, 3, 6, 4  # E: attention width (2 heads)


def _r(*shape: int, seed: int = 0, dtype: Any = np.float32) -> Any:
    return sn.tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


def _ids(*shape: int, vocab: int = V, seed: int = 0) -> Any:
    return sn.tensor(np.random.default_rng(seed).integers(0, vocab, size=shape))


def _onehot(*shape: int, vocab: int = V, seed: int = 0) -> Any:
    ids = np.random.default_rng(seed).integers(0, vocab, size=shape)
    return sn.tensor(np.eye(vocab, dtype=np.float32)[ids])


def _seq() -> Any:
    return _r(T, B, IN)


def _rows() -> Any:
    return _r(B, IN)


# ---- builders shared by many cases ---------------------------------------------------------

CELL = {"input_size": SIZE, "hidden_size": SIZE, "rng": RNG, "dtype": DTYPE}


def _cell(cls: Any, state: Callable[[], Any]) -> Case:
    return Case(
        lambda a: cls(a["input_size"], a["hidden_size"], rng=a["rng"], dtype=a["dtype"])(
            a["x"], a["state"]
        ),
        lambda: {
            "input_size": IN,
            "hidden_size": H,
            "rng": 0,
            "dtype": "float32",
            "x": _rows(),
            "state": state(),
        },
        {**CELL, "x": TENSOR},
        aliases={"x": ("input",)},
        none_ok=("state",),
    )


def _sequence_module(cls: Any) -> Case:
    return Case(
        lambda a: cls(a["input_size"], a["hidden_size"], rng=a["rng"], dtype=a["dtype"])(a["x"]),
        lambda: {"input_size": IN, "hidden_size": H, "rng": 0, "dtype": "float32", "x": _seq()},
        {**CELL, "x": TENSOR},
        aliases={"x": ("input",)},
    )


def _zoo(init: Callable[..., Any], *sizes: str, extra: Mapping[str, Kind] | None = None) -> Case:
    """A record model from ``init(IN, H, OUT, ..., rng=)`` on a sequence."""
    values = {"input_size": IN, "hidden": H, "output": OUT, "classes": OUT, "num_layers": 2}
    return Case(
        lambda a: init(*(a[s] for s in sizes), rng=a["rng"])(a["x"]),
        lambda: {**{s: values[s] for s in sizes}, "rng": 0, "x": _seq()},
        {**dict.fromkeys(sizes, SIZE), "rng": RNG, "x": TENSOR, **(extra or {})},
        label="",
        aliases={"x": ("input", "In")},
    )


def _vocab_zoo(init: Callable[..., Any]) -> Case:
    """A language-model-style record model on one-hot tokens."""
    return Case(
        lambda a: init(a["vocab"], a["hidden"], rng=a["rng"])(a["x"]),
        lambda: {"vocab": V, "hidden": H, "rng": 0, "x": _onehot(T, B)},
        {"vocab": SIZE, "hidden": SIZE, "rng": RNG, "x": TENSOR},
        label="",
        aliases={"x": ("input", "In")},
    )


def _chain(build: Callable[..., Any], *sizes: str, vocab: bool = False) -> Case:
    values = {"input_size": IN, "hidden": H, "output": OUT, "classes": OUT, "vocab": V}
    return Case(
        lambda a: build(*(a[s] for s in sizes), rng=a["rng"])(a["x"]),
        lambda: {
            **{s: values[s] for s in sizes},
            "rng": 0,
            "x": _onehot(T, B) if vocab else _seq(),
        },
        {**dict.fromkeys(sizes, SIZE), "rng": RNG, "x": TENSOR},
        label="",
    )


def _op(
    fn: Callable[..., Any],
    names: tuple[str, ...],
    good: Callable[[], Args],
    *,
    aliases: Mapping[str, tuple[str, ...]] | None = None,
    **kinds: Kind,
) -> Case:
    """A function of ``shapely_nn`` called with ``names`` in order."""
    return Case(lambda a: fn(*(a[n] for n in names)), good, kinds, aliases=aliases or {})


def _unary(fn: Callable[..., Any]) -> Case:
    return _op(fn, ("x",), lambda: {"x": _rows()}, x=ELEMENTWISE)


def _binary(fn: Callable[..., Any]) -> Case:
    return _op(
        fn, ("a", "b"), lambda: {"a": _rows(), "b": _r(B, IN, seed=1) + 3.0}, a=OPERAND, b=OPERAND
    )


def _reduce(fn: Callable[..., Any], all_axes: bool = False) -> Case:
    """A reduction; ``all_axes``: ``axis=None`` reduces over every axis (documented)."""
    return Case(
        lambda a: fn(a["x"], a["axis"]),
        lambda: {"x": _rows(), "axis": 1},
        {"x": OPERAND, "axis": INDEX},
        none_ok=("axis",) if all_axes else (),
    )


def _loss(
    fn: Callable[..., Any], logits: Callable[[], Any], targets: Callable[[], Any], target_kind: Kind
) -> Case:
    return _op(
        fn,
        ("logits", "targets"),
        lambda: {"logits": logits(), "targets": targets()},
        logits=ELEMENTWISE,
        targets=target_kind,
    )


# ---- shapely_nn: tensors and ops ----------------------------------------------------------


def _linear_loss(model: Any, batch: Any) -> tuple[float, Any]:
    logits, cache = model.forward(batch[0])
    loss, grad = train.cross_entropy(logits, batch[1])
    grads, _ = model.backward(cache, grad)
    return loss, grads


def _fit_args() -> Args:
    model = L.Linear(IN, OUT, rng=0)
    data = [(_r(B, IN, seed=k), _ids(B, vocab=OUT, seed=k)) for k in range(3)]
    return {
        "model": model,
        "data": data,
        "loss_and_grads": _linear_loss,
        "optimizer": train.SGD(0.1),
        "epochs": 2,
        "rng": 0,
        "clip": 1.0,
    }


def _fit(a: Args) -> Any:
    return train.fit(
        a["model"],
        a["data"],
        a["loss_and_grads"],
        a["optimizer"],
        epochs=a["epochs"],
        rng=a["rng"],
        clip=a["clip"],
        progress=False,
    )


def _save_load(a: Args) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.snn"
        io.save(a["module"], path if a["save_path"] == "" else a["save_path"])
        return io.load(path if a["load_path"] == "" else a["load_path"])


def _safetensors(a: Args) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.safetensors"
        io.save_safetensors(a["module"], path if a["save_path"] == "" else a["save_path"])
        return io.load_safetensors(a["into"], path if a["load_path"] == "" else a["load_path"])


def _set_checks(enabled: Any) -> bool:
    before = sn.checks_enabled()
    try:
        sn.set_checks(enabled)
        return sn.checks_enabled()
    finally:
        sn.set_checks(before)  # the switch is global: leave it as found


def _check_package(a: Args) -> bool:
    with sn.check_package(*a["packages"]) as hook:  # uninstalled on the way out
        return hook.active


def _qvr_text() -> str:
    return (
        "object Src : FinSet 5\nobject Lat : Real 4\n"
        "morphism emb : Src -> Lat [role=embed]\n"
        "morphism out : Lat -> Src [role=kernel] ~ Categorical\n"
        "program p : Src -> Src\nsample h <- emb\nobserve y : Src <- out(h)\nreturn y\n"
    )


CASES: dict[str, Case] = {
    # ---- shapely_nn ----
    "tensor": _op(sn.tensor, ("data",), lambda: {"data": [[1.0, 2.0], [3.0, 4.0]]}),
    "tensor(dtype)": Case(
        lambda a: sn.tensor(a["data"], dtype=a["dtype"]),
        lambda: {"data": [[1.0, 2.0]], "dtype": "float64"},
        {"dtype": TENSOR_DTYPE},
        none_ok=("dtype",),
        covers=("tensor",),
    ),
    "Tensor": _op(
        sn.Tensor,
        ("array",),
        lambda: {"array": np.ones((2, 3), np.float32)},
        array=Kind(
            "array",
            (
                refuse("None", None),
                refuse("list", [1.0]),
                refuse("float16 array", np.ones(2, np.float16)),
                refuse("object array", np.array([None])),
            ),
            st.one_of(st.none(), st.floats(), st.lists(st.floats(), max_size=2)),
        ),
    ),
    "zeros": _op(sn.zeros, ("shape",), lambda: {"shape": (B, IN)}, shape=SHAPE),
    "ones": _op(sn.ones, ("shape",), lambda: {"shape": (B, IN)}, shape=SHAPE),
    "randn": _op(
        sn.randn, ("shape", "rng"), lambda: {"shape": (B, IN), "rng": 0}, shape=SHAPE, rng=RNG
    ),
    "add": _binary(sn.add),
    "sub": _binary(sn.sub),
    "mul": _binary(sn.mul),
    "div": _binary(sn.div),
    "matmul": _op(
        sn.matmul,
        ("left", "right"),
        lambda: {"left": _rows(), "right": _r(IN, OUT)},
        left=OPERAND,
        right=OPERAND,
    ),
    "broadcast_to": _op(
        sn.broadcast_to,
        ("x", "shape"),
        lambda: {"x": _r(1, IN), "shape": (B, IN)},
        x=OPERAND,
        shape=SHAPE,
    ),
    "concat": _op(
        sn.concat, ("tensors",), lambda: {"tensors": [_rows(), _r(B, 2)]}, tensors=TENSOR_LIST
    ),
    "stack": _op(
        sn.stack, ("tensors",), lambda: {"tensors": [_rows(), _rows()]}, tensors=TENSOR_LIST
    ),
    "split": _op(
        sn.split, ("x", "sizes"), lambda: {"x": _rows(), "sizes": (1, 3)}, x=OPERAND, sizes=INTS
    ),
    "transpose": _op(
        sn.transpose,
        ("x", "axis0"),
        lambda: {"x": _rows(), "axis0": 0},
        x=OPERAND,
        axis0=INDEX,
    ),
    "permute": _op(
        sn.permute, ("x", "axes"), lambda: {"x": _rows(), "axes": (1, 0)}, x=OPERAND, axes=INTS
    ),
    "reshape": _op(
        sn.reshape, ("x", "shape"), lambda: {"x": _rows(), "shape": (IN, B)}, x=OPERAND, shape=INTS
    ),
    "take": _op(
        sn.take,
        ("x", "indices"),
        lambda: {"x": _rows(), "indices": sn.tensor([1, 0])},
        x=OPERAND,
        indices=IDS.plus(Variant("out of range", lambda t: sn.tensor([B]))),
    ),
    "one_hot": _op(
        sn.one_hot,
        ("ids", "num_classes"),
        lambda: {"ids": _ids(B), "num_classes": V},
        ids=IDS.plus(Variant("out of range", lambda t: sn.tensor([V]))),
        num_classes=SIZE,
    ),
    "sum_": _reduce(sn.sum_, all_axes=True),
    "mean": _reduce(sn.mean, all_axes=True),
    "max_": _reduce(sn.max_, all_axes=True),
    "argmax": _reduce(sn.argmax),
    "logsumexp": _reduce(sn.logsumexp),
    "softmax": _reduce(sn.softmax),
    "log_softmax": _reduce(sn.log_softmax),
    "exp": _unary(sn.exp),
    "log": _op(sn.log, ("x",), lambda: {"x": sn.exp(_rows())}, x=ELEMENTWISE),
    "tanh": _unary(sn.tanh),
    "sigmoid": _unary(sn.sigmoid),
    "relu": _unary(sn.relu),
    "Shape": _op(
        lambda *dims: sn.Shape.of(*dims).as_tuple(),
        ("a", "b"),
        lambda: {"a": 2, "b": 3},
        aliases={"a": ("dim",)},
        a=Kind(
            "dim",
            (
                refuse("None", None),
                refuse("True", True),
                refuse("str", "2"),
                refuse("float", 2.5),
                refuse("-1", -1),
                refuse("numpy int (a dim is an int or a Dim)", np.int64(2)),
            ),
            st.one_of(st.none(), st.floats(), st.booleans(), st.integers(max_value=-1)),
        ),
    ),
    "Dim": Case(
        lambda a: repr(sn.Dim(a["name"])),
        lambda: {"name": "B"},
        {
            "name": Kind(
                "name",
                (refuse("None", None), refuse("3", 3), refuse("empty", ""), refuse("bytes", b"B")),
                st.one_of(
                    st.none(),
                    st.integers(),
                    st.floats(),
                    st.text(max_size=3).filter(lambda t: not t.isidentifier()),
                ),
            )
        },
    ),
    "DimEnv": _op(sn.DimEnv, (), dict),
    "checks_enabled": _op(sn.checks_enabled, (), dict),
    "set_checks": _op(_set_checks, ("enabled",), lambda: {"enabled": False}, enabled=FLAG),
    "shapechecked": _op(
        lambda fn: sn.shapechecked(fn)(sn.ones((2,))), ("fn",), lambda: {"fn": sn.exp}
    ),
    "check_package": Case(
        _check_package,
        lambda: {"packages": ("fuzz_package_never_imported",)},
        {"packages": NAMES},
        aliases={"packages": ("package",)},
    ),
    # ---- shapely_nn.layers ----
    "Linear": Case(
        lambda a: L.Linear(a["in_features"], a["out_features"], rng=a["rng"], dtype=a["dtype"])(
            a["x"]
        ),
        lambda: {
            "in_features": IN,
            "out_features": OUT,
            "rng": 0,
            "dtype": "float32",
            "x": _rows(),
        },
        {"in_features": SIZE, "out_features": SIZE, "rng": RNG, "dtype": DTYPE, "x": TENSOR},
        aliases={"x": ("input",)},
    ),
    "Embedding": Case(
        lambda a: L.Embedding(a["vocab_size"], a["embed_dim"], rng=a["rng"])(a["ids"]),
        lambda: {"vocab_size": V, "embed_dim": IN, "rng": 0, "ids": _ids(T, B)},
        {"vocab_size": SIZE, "embed_dim": SIZE, "rng": RNG, "ids": IDS},
    ),
    "Embedding.forward_onehot": Case(
        lambda a: L.Embedding(V, IN, rng=0).forward_onehot(a["onehot"]),
        lambda: {"onehot": _onehot(T, B)},
        {"onehot": TENSOR},
        covers=("Embedding",),
    ),
    "Tanh": _op(lambda x: L.Tanh()(x), ("x",), lambda: {"x": _rows()}, x=ELEMENTWISE),
    "ReLU": _op(lambda x: L.ReLU()(x), ("x",), lambda: {"x": _rows()}, x=ELEMENTWISE),
    "Sigmoid": _op(lambda x: L.Sigmoid()(x), ("x",), lambda: {"x": _rows()}, x=ELEMENTWISE),
    "GELU": Case(
        lambda a: L.GELU(approximate=a["approximate"])(a["x"]),
        lambda: {"approximate": "tanh", "x": _rows()},
        {"approximate": choice(("none", "tanh")), "x": ELEMENTWISE},
    ),
    "Softmax": Case(
        lambda a: L.Softmax(axis=a["axis"])(a["x"]),
        lambda: {"axis": -1, "x": _rows()},
        {"axis": INDEX, "x": ELEMENTWISE},
    ),
    "LogSoftmax": Case(
        lambda a: L.LogSoftmax(axis=a["axis"])(a["x"]),
        lambda: {"axis": 0, "x": _rows()},
        {"axis": INDEX, "x": ELEMENTWISE},
    ),
    "Dropout": Case(
        lambda a: L.Dropout(a["p"], inference=a["inference"])(a["x"]),
        lambda: {"p": 0.25, "inference": "spec", "x": _rows()},
        {"p": RATE, "inference": choice(("spec", "identity")), "x": ELEMENTWISE},
    ),
    "Dropout.forward(training)": Case(
        lambda a: L.Dropout(0.5).forward(a["x"], rng=a["rng"])[0],
        lambda: {"x": _rows(), "rng": np.random.default_rng(0)},
        {"x": ELEMENTWISE, "rng": OBJECT.plus(Variant("True", lambda g: True))},
        none_ok=("rng",),
        covers=("Dropout",),
    ),
    "dropout_inference_spec": _op(
        L.dropout_inference_spec,
        ("p", "x"),
        lambda: {"p": 0.25, "x": np.ones((2, 3), np.float32)},
        p=RATE,
    ),
    "LayerNorm": Case(
        lambda a: L.LayerNorm(a["size"], eps=a["eps"], dtype=a["dtype"])(a["x"]),
        lambda: {"size": IN, "eps": 1e-5, "dtype": "float32", "x": _rows()},
        {"size": SIZE, "eps": POSITIVE, "dtype": DTYPE, "x": TENSOR},
        aliases={"x": ("input",)},
    ),
    "RNNCell": _cell(L.RNNCell, lambda: _r(B, H, seed=1)),
    "GRUCell": _cell(L.GRUCell, lambda: _r(B, H, seed=1)),
    "LSTMCell": _cell(L.LSTMCell, lambda: (_r(B, H, seed=1), _r(B, H, seed=2))),
    "LSTMCell(state)": Case(
        lambda a: L.LSTMCell(IN, H, rng=0)(_rows(), a["state"]),
        lambda: {"state": (_r(B, H, seed=1), _r(B, H, seed=2))},
        {"state": PAIR},
        none_ok=("state",),
        covers=("LSTMCell",),
    ),
    "MultiHeadAttention": Case(
        lambda a: L.MultiHeadAttention(
            a["embed_dim"], a["num_heads"], dropout=a["dropout"], rng=a["rng"]
        )(a["query"], a["key"], a["value"], key_padding_mask=a["key_padding_mask"]),
        lambda: {
            "embed_dim": E,
            "num_heads": 2,
            "dropout": 0.1,
            "rng": 0,
            "query": _r(B, T, E),
            "key": _r(B, 2, E, seed=1),
            "value": _r(B, 2, E, seed=2),
            "key_padding_mask": sn.tensor(np.array([[False, True], [False, False]])),
        },
        {
            "embed_dim": SIZE,
            "num_heads": SIZE,
            "dropout": RATE_BELOW_ONE,
            "rng": RNG,
            "query": TENSOR,
            "key": TENSOR,
            "value": TENSOR,
            "key_padding_mask": OPERAND,
        },
        aliases={"num_heads": ("heads",)},
        none_ok=("key", "value", "key_padding_mask"),
    ),
    "ScaledDotProductAttention": Case(
        lambda a: L.ScaledDotProductAttention()(
            a["query"], a["key"], a["value"], attn_mask=a["attn_mask"]
        ),
        lambda: {
            "query": _r(B, T, IN),
            "key": _r(B, 2, IN, seed=1),
            "value": _r(B, 2, H, seed=2),
            "attn_mask": sn.tensor(np.zeros((T, 2), bool)),
        },
        {"query": TENSOR, "key": TENSOR, "value": ELEMENTWISE, "attn_mask": OPERAND},
        none_ok=("attn_mask",),
    ),
    "scaled_dot_product_attention": Case(
        lambda a: L.scaled_dot_product_attention(a["query"], a["key"], a["value"]),
        lambda: {"query": _r(B, T, IN), "key": _r(B, 2, IN, seed=1), "value": _r(B, 2, H)},
        {"query": TENSOR, "key": TENSOR, "value": ELEMENTWISE},
        label="ScaledDotProductAttention",
    ),
    "EncoderAttention": Case(
        lambda a: L.EncoderAttention(a["hidden_dim"], rng=a["rng"])(
            a["decoder_hidden"], a["encoder_outputs"]
        ),
        lambda: {
            "hidden_dim": H,
            "rng": 0,
            "decoder_hidden": _r(B, H),
            "encoder_outputs": _r(B, T, H, seed=1),
        },
        {"hidden_dim": SIZE, "rng": RNG, "decoder_hidden": TENSOR, "encoder_outputs": TENSOR},
    ),
    "compute_attention_weights": _op(
        L.compute_attention_weights,
        ("weight", "decoder_hidden", "encoder_outputs"),
        lambda: {"weight": _r(H, H), "decoder_hidden": _r(B, H), "encoder_outputs": _r(B, T, H)},
        weight=TENSOR,
        decoder_hidden=TENSOR,
        encoder_outputs=TENSOR,
    ),
    "apply_attention": _op(
        L.apply_attention,
        ("weights", "encoder_outputs"),
        lambda: {"weights": sn.softmax(_r(B, T)), "encoder_outputs": _r(B, T, H)},
        weights=TENSOR,
        encoder_outputs=ELEMENTWISE,
    ),
    "TransformerEncoderLayer": Case(
        lambda a: L.TransformerEncoderLayer(
            a["embed_dim"], a["num_heads"], a["ff_dim"], dropout=a["dropout"], rng=a["rng"]
        )(a["x"], causal=True),
        lambda: {
            "embed_dim": E,
            "num_heads": 2,
            "ff_dim": 6,
            "dropout": 0.1,
            "rng": 0,
            "x": _r(B, T, E),
        },
        {
            "embed_dim": SIZE,
            "num_heads": SIZE,
            "ff_dim": SIZE,
            "dropout": RATE_BELOW_ONE,
            "rng": RNG,
            "x": TENSOR,
        },
        aliases={"embed_dim": ("embed",), "num_heads": ("heads",)},
    ),
    "TransformerDecoderLayer": Case(
        lambda a: L.TransformerDecoderLayer(E, 2, 6, activation=a["activation"], rng=0)(
            a["tgt"], a["memory"], memory_mask=a["memory_mask"]
        ),
        lambda: {
            "activation": "gelu",
            "tgt": _r(B, T, E),
            "memory": _r(B, 2, E, seed=1),
            "memory_mask": sn.tensor(np.zeros((T, 2), bool)),
        },
        {
            "activation": choice(("relu", "gelu")),
            "tgt": TENSOR,
            "memory": TENSOR,
            "memory_mask": OPERAND,
        },
        none_ok=("memory_mask",),
    ),
    # ---- shapely_nn.modules ----
    "RNN": _sequence_module(N.RNN),
    "GRU": _sequence_module(N.GRU),
    "LSTM": _sequence_module(N.LSTM),
    "LSTM.run": Case(
        lambda a: N.LSTM(IN, H, rng=0).run(_seq(), a["initial"]),
        lambda: {"initial": (_r(B, H, seed=1), _r(B, H, seed=2))},
        {"initial": PAIR},
        none_ok=("initial",),
        covers=("LSTM",),
    ),
    "RNN.run": Case(
        lambda a: N.RNN(IN, H, rng=0).run(_seq(), a["h0"]),
        lambda: {"h0": _r(B, H, seed=1)},
        {"h0": TENSOR},
        none_ok=("h0",),
        covers=("RNN",),
    ),
    "BiRNN": _sequence_module(N.BiRNN),
    "BiGRU": _sequence_module(N.BiGRU),
    "BiLSTM": _sequence_module(N.BiLSTM),
    "Bidirectional": Case(
        lambda a: N.Bidirectional(a["forward_layer"], N.GRU(IN, H, rng=1))(a["x"]),
        lambda: {"forward_layer": N.GRU(IN, H, rng=0), "x": _seq()},
        {"forward_layer": OBJECT, "x": TENSOR},
        label="",
    ),
    "RecurrentStack": Case(
        lambda a: N.RecurrentStack.build(
            a["kind"], IN, H, a["num_layers"], rng=a["rng"], bidirectional=True
        )(a["x"]),
        lambda: {"kind": "LSTM", "num_layers": 2, "rng": 0, "x": _seq()},
        {"kind": choice(("RNN", "LSTM", "GRU")), "num_layers": SIZE, "rng": RNG, "x": TENSOR},
        label="",
    ),
    "Chain": Case(
        lambda a: N.Chain([L.Linear(IN, H, rng=0), L.Tanh()])(a["x"]),
        lambda: {"x": _rows()},
        {"x": TENSOR},
        label="Linear",
    ),
    "Parallel+Concat": Case(
        lambda a: ((L.Linear(IN, 2, rng=0) @ L.Linear(H, 3, rng=1)) >> N.Concat())(a["xs"]),
        lambda: {"xs": (_rows(), _r(B, H))},
        {"xs": PAIR},
        label="Parallel",
        aliases={"xs": ("input", "x")},
        covers=("Parallel", "Concat"),
    ),
    "Concat": Case(
        lambda a: N.Concat()(a["xs"]),
        lambda: {"xs": (_rows(), _r(B, H))},
        {"xs": TENSOR_LIST},
    ),
    "fan": Case(
        lambda a: N.fan(lambda g: L.Linear(IN, 2, rng=g), a["n"], rng=a["rng"])(a["x"]),
        lambda: {"n": 3, "rng": 0, "x": _rows()},
        {"n": SIZE, "rng": RNG, "x": TENSOR},
        label="",
        covers=("fan", "Fan"),
    ),
    "stack(modules)": Case(
        lambda a: N.stack(lambda g: N.residual(L.Linear(IN, IN, rng=g)), a["n"], rng=a["rng"])(
            a["x"]
        ),
        lambda: {"n": 2, "rng": 0, "x": _rows()},
        {"n": SIZE, "rng": RNG, "x": TENSOR},
        label="",
        covers=("stack", "Stack"),
    ),
    "residual": Case(
        lambda a: N.residual(L.Linear(IN, IN, rng=0) >> L.Tanh())(a["x"]),
        lambda: {"x": _rows()},
        {"x": TENSOR},
        label="",
        covers=("residual", "Residual"),
    ),
    # ---- shapely_nn.models ----
    "Last": _op(lambda x: M.Last()(x), ("x",), lambda: {"x": _seq()}, x=OPERAND),
    "Columns": Case(
        lambda a: M.Columns()(a["x"]),
        lambda: {"x": _ids(B, 2)},
        {"x": IDS},
    ),
    "Kernel": Case(
        lambda a: M.Kernel.init(a["source"], a["target"], scale=a["scale"], rng=a["rng"])(a["x"]),
        lambda: {"source": IN, "target": OUT, "scale": 0.5, "rng": 0, "x": _rows()},
        {"source": SIZE, "target": SIZE, "scale": POSITIVE, "rng": RNG, "x": TENSOR},
        label="Linear",
        aliases={"source": ("in_features",), "target": ("out_features",), "x": ("input",)},
    ),
    "Embed": Case(
        lambda a: M.Embed(L.Embedding(V, IN, rng=0))(a["ids"]),
        lambda: {"ids": _ids(B)},
        {"ids": IDS.plus(Variant("out of range", lambda t: sn.tensor([V])))},
    ),
    "CategoricalHead": Case(
        lambda a: M.CategoricalHead(M.Kernel.init(IN, V, rng=0))(a["x"]),
        lambda: {"x": _rows()},
        {"x": TENSOR},
        label="Linear",
    ),
    "quivers_seq2seq": Case(
        lambda a: M.quivers_seq2seq(
            source=V,
            target=V,
            latent=a["latent"],
            head_out=2,
            ff_hidden=8,
            heads=a["heads"],
            rng=0,
        )(a["ids"]),
        lambda: {"latent": 8, "heads": 4, "ids": _ids(B, 2)},
        {"latent": SIZE, "heads": SIZE, "ids": IDS},
        label="",
        aliases={"ids": ("x",)},
    ),
    "next_token_nll": Case(
        lambda a: M.next_token_nll(a["log_probs"], a["targets"]),
        lambda: {"log_probs": sn.log_softmax(_r(B, V)), "targets": _ids(B)},
        {
            "log_probs": ELEMENTWISE,
            "targets": IDS.plus(Variant("out of range", lambda t: sn.tensor([0, V]))),
        },
    ),
    "greedy_accuracy": _op(
        M.greedy_accuracy,
        ("predicted", "expected"),
        lambda: {"predicted": _ids(T, B), "expected": _ids(T, B, seed=1)},
        predicted=OPERAND,
        expected=OPERAND,
    ),
    "log_probs": _op(M.log_probs, ("logits",), lambda: {"logits": _r(B, V)}, logits=ELEMENTWISE),
    "sinusoidal_positions": _op(
        M.sinusoidal_positions,
        ("length", "dim"),
        lambda: {"length": T, "dim": E},
        length=SIZE,
        dim=SIZE,
    ),
    "make_encoder": Case(
        lambda a: M.make_encoder(a["kind"], E, E, rng=a["rng"])(a["x"]),
        lambda: {"kind": "transformer", "rng": 0, "x": _r(T, B, E)},
        {"kind": choice(("rnn", "lstm", "transformer")), "rng": RNG, "x": TENSOR},
        label="",
        aliases={"kind": ("encoder",)},
    ),
    "SimpleRNNModel": _zoo(M.SimpleRNNModel.init, "input_size", "hidden", "output"),
    "MultiLayerRNN": _zoo(M.MultiLayerRNN.init, "input_size", "hidden", "output", "num_layers"),
    "RNNClassifier": _zoo(M.RNNClassifier.init, "input_size", "hidden", "classes"),
    "BiRNNModel": _zoo(M.BiRNNModel.init, "input_size", "hidden", "output"),
    "SimpleLSTMModel": _zoo(M.SimpleLSTMModel.init, "input_size", "hidden", "output"),
    "MultiLayerLSTM": _zoo(M.MultiLayerLSTM.init, "input_size", "hidden", "output", "num_layers"),
    "LSTMClassifier": _zoo(M.LSTMClassifier.init, "input_size", "hidden", "classes"),
    "BiLSTMModel": _zoo(M.BiLSTMModel.init, "input_size", "hidden", "output"),
    "RNNGenerator": _vocab_zoo(M.RNNGenerator.init),
    "LSTMGenerator": _vocab_zoo(M.LSTMGenerator.init),
    "LSTMGenerator.generate": Case(
        lambda a: M.LSTMGenerator.init(V, H, rng=0).generate(
            a["start"], a["length"], rng=a["rng"], temperature=a["temperature"]
        ),
        lambda: {"start": 1, "length": 4, "rng": 0, "temperature": 0.8},
        {
            "start": INDEX.plus(Variant("out of range", lambda s: V)),
            "length": SIZE,
            "rng": RNG,
            "temperature": POSITIVE,
        },
        covers=("LSTMGenerator", "RNNGenerator"),
    ),
    "LSTMLanguageModel": Case(
        lambda a: M.LSTMLanguageModel.init(
            V, H, a["num_layers"], dropout=a["dropout"], rng=a["rng"]
        )(a["onehot"]),
        lambda: {"num_layers": 2, "dropout": 0.25, "rng": 0, "onehot": _onehot(T, B)},
        {"num_layers": SIZE, "dropout": RATE, "rng": RNG, "onehot": TENSOR},
        label="",
        aliases={"dropout": ("dropout_rate",), "onehot": ("input", "In")},
    ),
    "AttentionLSTM": Case(
        lambda a: M.AttentionLSTM.init(IN, H, OUT, rng=0)(a["pair"]),
        lambda: {"pair": (_r(2, B, IN), _r(T, B, IN, seed=1))},
        {"pair": PAIR},
        label="",
    ),
    "Seq2SeqEmbedding": Case(
        lambda a: M.Seq2SeqEmbedding.init(a["vocab"], a["embed"], dropout=a["dropout"], rng=0)(
            a["tokens"]
        ),
        lambda: {"vocab": V, "embed": E, "dropout": 0.1, "tokens": _ids(T, B)},
        {"vocab": SIZE, "embed": SIZE, "dropout": RATE, "tokens": OPERAND},
        aliases={"vocab": ("vocab_size",), "embed": ("embed_dim",), "dropout": ("dropout_rate",)},
    ),
    "Seq2SeqRNNEncoder": Case(
        lambda a: M.Seq2SeqRNNEncoder(N.RNN(E, H, rng=0), a["dropout_rate"])(a["x"], a["h0"]),
        lambda: {"dropout_rate": 0.2, "x": _r(T, B, E), "h0": _r(B, H, seed=1)},
        {"dropout_rate": RATE, "x": TENSOR, "h0": TENSOR},
        label="",
        none_ok=("h0",),
    ),
    "Seq2SeqLSTMEncoder": Case(
        lambda a: M.Seq2SeqLSTMEncoder(N.LSTM(E, H, rng=0), a["dropout_rate"])(a["x"]),
        lambda: {"dropout_rate": 0.2, "x": _r(T, B, E)},
        {"dropout_rate": RATE, "x": TENSOR},
        label="",
    ),
    "Seq2SeqTransformerEncoder": Case(
        lambda a: M.Seq2SeqTransformerEncoder.init(
            a["embed"], a["heads"], a["num_layers"], rng=0, positional_encoding=True
        )(a["x"]),
        lambda: {"embed": E, "heads": 2, "num_layers": 1, "x": _r(T, B, E)},
        {"embed": SIZE, "heads": SIZE, "num_layers": SIZE, "x": TENSOR},
        label="",
        aliases={"embed": ("embed_dim",)},
    ),
    "Seq2SeqDecoder": Case(
        lambda a: M.Seq2SeqDecoder.init(E, H, V, heads=a["heads"], rng=0).forward_teacher_forcing(
            a["target_embeddings"], a["h0"]
        ),
        lambda: {"heads": 2, "target_embeddings": _r(T, B, E), "h0": _r(B, H, seed=1)},
        {"heads": SIZE, "target_embeddings": TENSOR, "h0": TENSOR},
        label="",
        none_ok=("heads", "h0"),
    ),
    "Seq2Seq": Case(
        lambda a: M.Seq2Seq.init(
            a["src_vocab"], V, E, H, encoder=a["encoder"], heads=2, rng=a["rng"], dtype=a["dtype"]
        )(a["pair"]),
        lambda: {
            "src_vocab": 5,
            "encoder": "lstm",
            "rng": 0,
            "dtype": "float32",
            "pair": (_onehot(2, B, vocab=5), _onehot(T, B)),
        },
        {
            "src_vocab": SIZE,
            "encoder": choice(("rnn", "lstm", "transformer")),
            "rng": RNG,
            "dtype": DTYPE,
            "pair": PAIR,
        },
        label="",
    ),
    "Seq2Seq.forward_inference": Case(
        lambda a: M.Seq2Seq.init(5, V, E, H, rng=0).forward_inference(
            a["src_ids"], a["start_token"], a["max_len"]
        ),
        lambda: {"src_ids": _ids(2, B, vocab=5), "start_token": 0, "max_len": 3},
        {"src_ids": IDS, "start_token": INDEX, "max_len": SIZE},
        label="",
        covers=("Seq2Seq",),
    ),
    "AttentionSeq2Seq": Case(
        lambda a: M.AttentionSeq2Seq.init(5, V, E, H, encoder=a["encoder"], rng=0)(a["pair"]),
        lambda: {"encoder": "rnn", "pair": (_onehot(2, B, vocab=5), _onehot(T, B))},
        {"encoder": choice(("rnn", "lstm", "transformer")), "pair": PAIR},
        label="",
    ),
    "AttentionSeq2Seq.forward_inference": Case(
        lambda a: M.AttentionSeq2Seq.init(5, V, E, H, rng=0).forward_inference(
            a["src_ids"], a["start_token"], a["max_len"]
        ),
        lambda: {"src_ids": _ids(2, B, vocab=5), "start_token": 0, "max_len": 3},
        {"src_ids": IDS, "start_token": INDEX, "max_len": SIZE},
        label="",
        covers=("AttentionSeq2Seq",),
    ),
    "rnn_seq2seq_chain": _chain(M.rnn_seq2seq_chain, "input_size", "hidden", "output"),
    "rnn_classifier_chain": _chain(M.rnn_classifier_chain, "input_size", "hidden", "classes"),
    "two_layer_rnn_chain": _chain(M.two_layer_rnn_chain, "input_size", "hidden", "output"),
    "rnn_lm_chain": _chain(M.rnn_lm_chain, "vocab", "hidden", vocab=True),
    "bilstm_classifier_chain": _chain(M.bilstm_classifier_chain, "input_size", "hidden", "classes"),
    "lstm_seq2seq_chain": _chain(M.lstm_seq2seq_chain, "input_size", "hidden", "output"),
    "lstm_classifier_chain": _chain(M.lstm_classifier_chain, "input_size", "hidden", "classes"),
    "two_layer_lstm_chain": _chain(M.two_layer_lstm_chain, "input_size", "hidden", "output"),
    "lstm_lm_chain": _chain(M.lstm_lm_chain, "vocab", "hidden", vocab=True),
    # ---- shapely_nn.train ----
    "mse": _op(
        train.mse,
        ("prediction", "target"),
        lambda: {"prediction": _rows(), "target": _r(B, IN, seed=1)},
        prediction=TENSOR,
        target=OPERAND,
    ),
    "cross_entropy": _loss(
        train.cross_entropy,
        lambda: _r(B, V),
        lambda: _ids(B),
        IDS.plus(Variant("out of range", lambda t: sn.tensor([0, V]))),
    ),
    "cross_entropy(mask)": Case(
        lambda a: train.cross_entropy(_r(B, V), _ids(B), mask=a["mask"]),
        lambda: {"mask": sn.tensor(np.array([True, False]))},
        {"mask": OPERAND},
        none_ok=("mask",),
        covers=("cross_entropy",),
    ),
    "cross_entropy_onehot": _loss(
        train.cross_entropy_onehot, lambda: _r(B, V), lambda: _onehot(B), OPERAND
    ),
    "sequence_cross_entropy": _loss(
        train.sequence_cross_entropy, lambda: _r(T, B, V), lambda: _ids(T, B), IDS
    ),
    "language_model_loss": Case(
        lambda a: train.language_model_loss(a["logits"], a["next_tokens"]),
        lambda: {"logits": _r(T, B, V), "next_tokens": _ids(T, B)},
        {"logits": ELEMENTWISE, "next_tokens": IDS},
        label="sequence_cross_entropy",
        aliases={"next_tokens": ("targets",)},
    ),
    "SGD": Case(
        lambda a: train.SGD(a["lr"], a["momentum"], a["weight_decay"]).step(
            {"w": np.ones(3)}, {"w": np.full(3, 0.5)}
        ),
        lambda: {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01},
        {"lr": POSITIVE, "momentum": NONNEGATIVE, "weight_decay": NONNEGATIVE},
    ),
    "Adam": Case(
        lambda a: train.Adam(a["lr"], (a["beta1"], 0.999), a["eps"]).step(
            {"w": np.ones(3)}, a["grads"]
        ),
        lambda: {"lr": 0.1, "beta1": 0.9, "eps": 1e-8, "grads": {"w": np.full(3, 0.5)}},
        {
            "lr": POSITIVE,
            "beta1": RATE_BELOW_ONE,
            "eps": POSITIVE,
            "grads": OBJECT.plus(
                Variant("unknown name", lambda g: {"v": np.ones(3)}),
                Variant("tensor inside", lambda g: {"w": sn.ones((3,))}),
            ),
        },
        aliases={"beta1": ("betas",)},
    ),
    "clip_grad_norm": _op(
        train.clip_grad_norm,
        ("grads", "max_norm"),
        lambda: {"grads": {"w": np.full(3, 2.0)}, "max_norm": 1.0},
        max_norm=POSITIVE,
    ),
    "fit": Case(
        _fit,
        _fit_args,
        {
            "epochs": SIZE,
            "rng": RNG,
            "clip": POSITIVE,
            "data": OBJECT.plus(Variant("empty", lambda d: [])),
            "model": OBJECT,
            "optimizer": OBJECT,
            "loss_and_grads": OBJECT,
        },
        none_ok=("clip",),
    ),
    "train_step": Case(
        lambda a: train.train_step(
            a["model"], a["batch"], _linear_loss, a["optimizer"], clip=a["clip"]
        ),
        lambda: {
            "model": L.Linear(IN, OUT, rng=0),
            "batch": (_rows(), _ids(B, vocab=OUT)),
            "optimizer": train.Adam(0.01),
            "clip": 0.5,
        },
        {"clip": POSITIVE, "optimizer": OBJECT, "model": OBJECT},
        none_ok=("clip",),
    ),
    "numerical_gradient": _op(
        lambda array, eps: train.numerical_gradient(lambda: float((array**2).sum()), array, eps),
        ("array", "eps"),
        lambda: {"array": np.array([1.0, -2.0]), "eps": 1e-6},
        eps=POSITIVE,
    ),
    "gradcheck": Case(
        lambda a: (
            train.gradcheck(
                lambda: float((a["w"] ** 2).sum()), {"w": a["w"]}, {"w": 2 * a["w"]}, rtol=a["rtol"]
            ).worst
            < 1e-6
        ),
        lambda: {"w": np.array([1.0, -2.0]), "rtol": 1e-6},
        {"rtol": POSITIVE},
        covers=("gradcheck", "GradcheckResult"),
    ),
    # ---- shapely_nn.io ----
    "save+load": Case(
        _save_load,
        lambda: {"module": L.Linear(IN, OUT, rng=0), "save_path": "", "load_path": ""},
        {"module": OBJECT, "save_path": PATH, "load_path": PATH},
        aliases={"save_path": ("path",), "load_path": ("path",)},
        covers=("save", "load"),
    ),
    "save_safetensors+load_safetensors": Case(
        _safetensors,
        lambda: {
            "module": L.Linear(IN, OUT, rng=0),
            "into": L.Linear(IN, OUT, rng=1),
            "save_path": "",
            "load_path": "",
        },
        {"module": OBJECT, "into": OBJECT, "save_path": PATH, "load_path": PATH},
        aliases={"into": ("module",), "save_path": ("path",), "load_path": ("path",)},
        covers=("save_safetensors", "load_safetensors"),
    ),
    "to_torch": _op(
        io.to_torch, ("module",), lambda: {"module": L.Linear(IN, OUT, rng=0)}, module=OBJECT
    ),
    "from_torch": _op(
        lambda m: io.from_torch(io.to_torch(m)),
        ("module",),
        lambda: {"module": L.Linear(IN, OUT, rng=0)},
    ),
    "load_state_dict": Case(
        lambda a: io.load_state_dict(a["module"], a["state_dict"]),
        lambda: {
            "module": L.Linear(IN, OUT, rng=0),
            "state_dict": io.to_torch(L.Linear(IN, OUT, rng=1)).state_dict(),
        },
        {"module": OBJECT, "state_dict": OBJECT.plus(Variant("empty", lambda s: {}))},
    ),
    "to_pytorch_source": _op(
        io.to_pytorch_source,
        ("module",),
        lambda: {"module": L.Linear(IN, OUT, rng=0)},
        module=OBJECT,
    ),
    "to_mermaid": _op(
        io.to_mermaid, ("module",), lambda: {"module": L.Linear(IN, OUT, rng=0)}, module=OBJECT
    ),
    # ---- shapely_nn.qvr ----
    "qvr.load": Case(
        lambda a: qvr.load(a["source"], rng=a["rng"], dtype=a["dtype"])(a["ids"]),
        lambda: {"source": _qvr_text(), "rng": 0, "dtype": "float32", "ids": _ids(B, vocab=5)},
        {"source": OBJECT, "rng": RNG, "dtype": DTYPE, "ids": ARRAY_IDS},
        label="",
        aliases={"source": ("line", "cannot read")},
        covers=("load", "QvrProgram", "QvrObject", "QvrMorphism"),
    ),
}

NOT_CALLED: dict[str, str] = {
    # exceptions: raised, not called
    "AnnotationError": "exception",
    "DTypeError": "exception",
    "GuardError": "exception",
    "IndexBoundsError": "exception",
    "ShapeError": "exception",
    "GradcheckError": "exception",
    "NonFiniteLossError": "exception",
    "ModelFileError": "exception",
    "QvrError": "exception",
    # static types
    "Add": "type-level dim (static only)",
    "Mul": "type-level dim (static only)",
    "FloorDiv": "type-level dim (static only)",
    "AnyTensor": "type alias",
    "Module": "a typing Protocol",
    "LeadModule": "a typing Protocol",
    "AnyLead": "a marker: what a part does to the leading dims (no arguments)",
    "SameLead": "a marker: what a part does to the leading dims (no arguments)",
    "Optimizer": "a typing Protocol",
    # bases and records (built by the library, each concrete layer has a case)
    "Layer": "base class of every layer",
    "GradRecord": "base class of the grad records",
    "ChainModel": "base class of the record models (each has a case)",
    "RecurrentCache": "forward cache, built by the layers",
    # submodules
    "functional": "submodule of array kernels (internal helpers of the layers)",
    "guards": "submodule (its require_* are tested in tests/core/test_guards.py)",
    "io": "submodule",
    "layers": "submodule",
    "modules": "submodule",
    "train": "submodule",
}
"""Public names that are not calls, with the reason; every grad record (``*Grads``) too."""

CASES.update(INFER_CASES)
NOT_CALLED.update(INFER_NOT_CALLED)


def covered_names() -> set[str]:
    """Every public name some case stands for."""
    out: set[str] = set()
    for key, case in CASES.items():
        out.update(case.covers or (key.split("(")[0].split(".")[0],))
    return out
