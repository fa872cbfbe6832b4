"""Every layer, module and zoo model round-trips: PyTorch, save/load, state dicts, source.

The cases live in ``_roundtrip_cases.CASES``; torch is the oracle for the outputs.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from _roundtrip_cases import CASES, NOT_MODULES, Case, covered_names

import shapely_nn as sn
from shapely_nn import layers, models, modules
from shapely_nn.io import from_torch, load, load_state_dict, save, to_pytorch_source, to_torch
from shapely_nn.layers import GradRecord

TORCH_CASES = sorted(k for k, c in CASES.items() if c.no_torch is None)
REFUSED_CASES = sorted(k for k, c in CASES.items() if c.no_torch is not None)


def _inputs(name: str) -> tuple[Any, ...]:
    return CASES[name].inputs(np.random.default_rng(zlib.crc32(name.encode())))


def _flat(y: Any) -> list[np.ndarray]:
    """The arrays of an output (a tensor, or nested tuples of them), in order."""
    if isinstance(y, tuple | list):
        return [a for item in y for a in _flat(item)]
    if isinstance(y, torch.Tensor):
        return [y.detach().numpy()]
    return [np.asarray(y.numpy())]


def _as_torch(x: Any) -> Any:
    if isinstance(x, tuple):
        return tuple(_as_torch(v) for v in x)
    return torch.from_numpy(np.array(x.numpy()))


def _run_torch(case: Case, tm: Any, inputs: tuple[Any, ...]) -> list[np.ndarray]:
    tm.eval()
    with torch.no_grad():
        y = tm(*_as_torch(inputs))
    return _flat(case.torch_out(y) if case.torch_out else y)


def _assert_close(ours: list[np.ndarray], theirs: list[np.ndarray], what: str) -> None:
    """Per output: same shape and dtype, ``|a - b| / max(|a|, |b|) <= rtol`` (Euclidean)."""
    assert len(ours) == len(theirs), f"{what}: {len(ours)} outputs vs {len(theirs)}"
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape, f"{what}: shape {a.shape} vs {b.shape}"
        assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} vs {b.dtype}"
        rtol = 1e-10 if a.dtype == np.float64 else 1e-4
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        scale = max(float(np.linalg.norm(a64)), float(np.linalg.norm(b64)), 1e-12)
        error = float(np.linalg.norm(a64 - b64)) / scale
        assert error <= rtol, f"{what}: relative error {error:.3g} > {rtol:g}"


# ---- the registry is complete -------------------------------------------------------------


def test_registry_covers_every_public_layer_module_and_model() -> None:
    public: set[str] = set()
    for package in (layers, modules, models):
        for name in package.__all__:
            obj = getattr(package, name)
            if isinstance(obj, type) and issubclass(obj, GradRecord):
                continue  # gradient records are not modules
            public.add(name)
    covered = covered_names()
    assert not covered & set(NOT_MODULES), "a name is both covered and excluded"
    missing = public - covered - set(NOT_MODULES)
    assert not missing, f"no round-trip case for {sorted(missing)}: add one to CASES"
    stale = (covered | set(NOT_MODULES)) - public
    assert not stale, f"cases or exclusions for names that are not public: {sorted(stale)}"


# ---- PyTorch ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TORCH_CASES)
def test_to_torch_gives_equal_outputs(name: str) -> None:
    case = CASES[name]
    module, inputs = case.build(), _inputs(name)
    exported = to_torch(module)
    assert isinstance(exported, torch.nn.Module)
    _assert_close(_flat(case.run(module, inputs)), _run_torch(case, exported, inputs), name)


@pytest.mark.parametrize("name", TORCH_CASES)
def test_every_parameter_lives_in_a_standard_torch_module(name: str) -> None:
    exported = to_torch(CASES[name].build())
    for path, part in exported.named_modules():
        if any(True for _ in part.parameters(recurse=False)):
            kind = type(part)
            assert kind.__module__.startswith("torch.nn.modules"), f"{path}: {kind.__name__}"


@pytest.mark.parametrize("name", REFUSED_CASES)
def test_modules_without_a_torch_form_are_refused(name: str) -> None:
    module = CASES[name].build()
    message = CASES[name].no_torch
    assert message is not None
    with pytest.raises(TypeError, match=message):
        to_torch(module)
    with pytest.raises(TypeError, match=message):
        to_pytorch_source(module)
    with pytest.raises(TypeError, match=message):
        to_torch(sn.modules.Chain([layers.Tanh(), module]))  # also inside a composition


def _perturbed(module: Any, seed: int) -> Any:
    gen = np.random.default_rng(seed)
    return module.with_parameters(
        {
            k: (v + 0.1 * gen.standard_normal(v.shape)).astype(v.dtype)
            for k, v in module.parameters().items()
        }
    )


@pytest.mark.parametrize("name", TORCH_CASES)
def test_load_state_dict_reproduces_the_parameters(name: str) -> None:
    module = CASES[name].build()
    target = _perturbed(module, 1)
    loaded = load_state_dict(module, to_torch(target).state_dict())
    assert type(loaded) is type(module)
    expected = target.parameters()
    assert set(loaded.parameters()) == set(expected)
    for key, value in loaded.parameters().items():
        assert value.dtype == expected[key].dtype, key
        np.testing.assert_array_equal(value, expected[key], err_msg=key)


@pytest.mark.parametrize("name", TORCH_CASES)
def test_pytorch_source_runs_and_matches(name: str) -> None:
    case = CASES[name]
    module, inputs = _perturbed(case.build(), 2), _inputs(name)
    namespace: dict[str, Any] = {}
    exec(compile(to_pytorch_source(module), f"<{name}>", "exec"), namespace)
    rebuilt = namespace["build"]()
    rebuilt.load_state_dict(to_torch(module).state_dict())
    _assert_close(_flat(case.run(module, inputs)), _run_torch(case, rebuilt, inputs), name)


@pytest.mark.parametrize("name", TORCH_CASES)
def test_from_torch_of_the_export_gives_equal_outputs(name: str) -> None:
    case = CASES[name]
    module, inputs = _perturbed(case.build(), 3), _inputs(name)
    back = from_torch(to_torch(module))
    assert back.parameters().keys() or not module.parameters()
    _assert_close(_flat(case.run(back, inputs)), _flat(case.run(module, inputs)), name)


# ---- save / load --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_save_load_is_bit_equal(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    module, inputs = _perturbed(case.build(), 4), _inputs(name)
    save(module, tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    assert type(loaded) is type(module)
    ours, again = module.parameters(), loaded.parameters()
    assert list(again) == list(ours)
    for key, value in ours.items():
        assert again[key].dtype == value.dtype, key
        np.testing.assert_array_equal(again[key], value, err_msg=key)
    for a, b in zip(_flat(case.run(module, inputs)), _flat(case.run(loaded, inputs)), strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


# ---- the id paths of the seq2seq models ---------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Seq2Seq(rnn)",
        "Seq2Seq(lstm, attention, dropout)",
        "Seq2Seq(transformer, causal)",
        "AttentionSeq2Seq(rnn, dropout)",
    ],
)
def test_forward_training_on_ids_matches(name: str) -> None:
    module = CASES[name].build()
    gen = np.random.default_rng(5)
    src, tgt = gen.integers(0, 5, size=(S_LEN, 2)), gen.integers(0, 7, size=(T_LEN, 2))
    if hasattr(module, "forward_training"):
        ours = module.forward_training(sn.tensor(src), sn.tensor(tgt)).numpy()
    else:  # AttentionSeq2Seq has no id path of its own: its one-hot path on the same tokens
        ours = module(
            (
                sn.tensor(np.eye(5, dtype=np.float32)[src]),
                sn.tensor(np.eye(7, dtype=np.float32)[tgt]),
            )
        ).numpy()
    exported = to_torch(module).eval()
    with torch.no_grad():
        theirs = exported.forward_training(torch.from_numpy(src), torch.from_numpy(tgt))
    _assert_close([ours], [theirs.numpy()], name)


S_LEN, T_LEN = 3, 4


def test_pytorch_source_defines_only_the_classes_it_uses() -> None:
    assert "class " not in to_pytorch_source(layers.Linear(3, 2, rng=0))
    source = to_pytorch_source(CASES["LSTMLanguageModel"].build())
    assert "class LSTMLanguageModel(nn.Module):" in source
    assert "def scaled(x, p):" in source  # a helper it calls
    assert "class Seq2Seq(" not in source and "import math" not in source
    source = to_pytorch_source(CASES["make_encoder(transformer, unbatched)"].build())
    assert "def sinusoidal_positions(" in source and "import math" in source
    assert "nn.TransformerEncoderLayer(8, 2, dim_feedforward=32" in source
