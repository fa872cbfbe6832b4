"""``save_safetensors`` / ``load_safetensors``: round trips, files written by torch, bad files."""

from __future__ import annotations

import os
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch
from _roundtrip_cases import CASES

import shapely_nn as sn
from shapely_nn import layers as L, models as M
from shapely_nn.io import (
    ModelFileError,
    from_torch,
    load_safetensors,
    save_safetensors,
    to_torch,
)

TORCH_CASES = sorted(k for k, c in CASES.items() if c.no_torch is None)
T, B, IN, H, OUT = 5, 3, 4, 6, 3


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


def _perturbed(module: Any, seed: int) -> Any:
    gen = np.random.default_rng(seed)
    return module.with_parameters(
        {
            k: (v + 0.1 * gen.standard_normal(v.shape)).astype(v.dtype)
            for k, v in module.parameters().items()
        }
    )


def _classifier() -> Any:
    return M.lstm_classifier_chain(IN, H, OUT, rng=0)


def _sequence() -> Any:
    return sn.tensor(np.random.default_rng(7).standard_normal((T, B, IN)).astype(np.float32))


def _export(module: Any) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in to_torch(module).state_dict().items()}


def _params_equal(a: Any, b: Any) -> None:
    pa, pb = a.parameters(), b.parameters()
    assert list(pa) == list(pb)
    for key, value in pa.items():
        assert pb[key].dtype == value.dtype, key
        np.testing.assert_array_equal(pb[key], value, err_msg=key)


# ---- round trips --------------------------------------------------------------------------


@pytest.mark.parametrize("name", TORCH_CASES)
def test_round_trip_is_bit_equal(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    template = case.build()
    module, inputs = _perturbed(template, 4), _inputs(name)
    save_safetensors(module, tmp_path / "m.safetensors")
    loaded = load_safetensors(template, tmp_path / "m.safetensors")
    assert type(loaded) is type(module)
    _params_equal(module, loaded)
    for a, b in zip(_flat(case.run(module, inputs)), _flat(case.run(loaded, inputs)), strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_the_file_is_the_export_state_dict_and_torch_loads_it(tmp_path: Path) -> None:
    module = _perturbed(_classifier(), 1)
    save_safetensors(module, tmp_path / "m.safetensors")
    # Read back with the NumPy reader alone: the names and values are the export's.
    on_disk = safetensors.numpy.load_file(tmp_path / "m.safetensors")
    expected = _export(module)
    assert set(on_disk) == set(expected)
    for key, value in expected.items():
        assert on_disk[key].dtype == value.dtype, key
        np.testing.assert_array_equal(on_disk[key], value, err_msg=key)
    # A PyTorch user: strict load into a fresh export of another initialisation.
    tm = to_torch(M.lstm_classifier_chain(IN, H, OUT, rng=5))
    tm.load_state_dict(safetensors.torch.load_file(tmp_path / "m.safetensors"), strict=True)
    x = _sequence()
    with torch.no_grad():
        theirs = tm.eval()(torch.from_numpy(x.numpy())).numpy()
    np.testing.assert_array_equal(theirs, _export_forward(module, x))


def _export_forward(module: Any, x: Any) -> np.ndarray:
    with torch.no_grad():
        out: np.ndarray = to_torch(module).eval()(torch.from_numpy(x.numpy())).numpy()
    return out


def test_save_writes_metadata_torch_loaders_expect(tmp_path: Path) -> None:
    save_safetensors(_classifier(), tmp_path / "m.safetensors")
    with safetensors.safe_open(tmp_path / "m.safetensors", framework="np") as f:
        metadata = f.metadata()
    assert metadata["format"] == "pt"
    assert metadata["module"] == "Chain"


def test_float64_round_trip_keeps_float64(tmp_path: Path) -> None:
    template = M.Seq2Seq.init(5, 7, 8, 6, encoder="lstm", heads=2, rng=0, dtype=np.float64)
    module = _perturbed(template, 2)
    save_safetensors(module, tmp_path / "m.safetensors")
    on_disk = safetensors.numpy.load_file(tmp_path / "m.safetensors")
    assert {a.dtype for a in on_disk.values()} == {np.dtype(np.float64)}
    _params_equal(module, load_safetensors(template, tmp_path / "m.safetensors"))


# ---- files written by torch ---------------------------------------------------------------

TORCH_WRITTEN = [
    "lstm_classifier_chain",
    "RecurrentStack",
    "Seq2Seq(lstm, attention, dropout)",
    "TransformerEncoderLayer",
    "GRUCell",
]


@pytest.mark.parametrize("name", TORCH_WRITTEN)
def test_a_file_written_by_torch_loads_and_outputs_match(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    template, inputs = case.build(), _inputs(name)
    tm = to_torch(template)
    # As after training in torch: every tensor moved, the recurrent bias_hh included (which
    # the typed layout holds folded into one bias).
    gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    with torch.no_grad():
        for p in tm.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    assert any(("bias_hh" in k) and v.abs().sum() > 0 for k, v in tm.state_dict().items()) == (
        name != "TransformerEncoderLayer"
    )
    safetensors.torch.save_file(tm.state_dict(), tmp_path / "t.safetensors")
    loaded = load_safetensors(template, tmp_path / "t.safetensors")
    assert type(loaded) is type(template)
    tm.eval()
    with torch.no_grad():
        y = tm(*_as_torch(inputs))
    theirs = _flat(case.torch_out(y) if case.torch_out else y)
    ours = _flat(case.run(loaded, inputs))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype
        assert float(np.max(np.abs(a - b))) <= 1e-5, name
    # from_torch of the same trained module gives the same typed parameters.
    _params_equal(from_torch(tm), loaded)


# ---- bad files ----------------------------------------------------------------------------


def _write(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    safetensors.numpy.save_file(arrays, path)
    return path


def _refused(template: Any, path: Path, *fragments: str) -> None:
    before = {k: v.copy() for k, v in template.parameters().items()}
    with pytest.raises(ModelFileError) as info:
        load_safetensors(template, path)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)
    # Nothing half-loaded: the template is as it was.
    for key, value in template.parameters().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_a_missing_tensor_is_named(tmp_path: Path) -> None:
    arrays = _export(_classifier())
    del arrays["parts.0.weight_hh_l0"]
    path = _write(tmp_path / "m.safetensors", arrays)
    _refused(_classifier(), path, "'parts.0.weight_hh_l0' is missing", "[24, 6] F32")


def test_an_unexpected_tensor_is_named(tmp_path: Path) -> None:
    arrays = _export(_classifier())
    arrays["parts.3.weight"] = np.zeros((2, 2), np.float32)
    path = _write(tmp_path / "m.safetensors", arrays)
    _refused(_classifier(), path, "unexpected tensor 'parts.3.weight'")


def test_a_wrong_shape_is_named(tmp_path: Path) -> None:
    # Same names, another hidden size: every tensor of the LSTM and the head disagrees.
    other = M.lstm_classifier_chain(IN, H + 1, OUT, rng=0)
    path = _write(tmp_path / "m.safetensors", _export(other))
    _refused(
        _classifier(),
        path,
        f"'parts.0.weight_ih_l0' has shape [{4 * (H + 1)}, {IN}], the model's is [{4 * H}, {IN}]",
        f"'parts.2.weight' has shape [{OUT}, {H + 1}]",
    )


def test_a_wrong_dtype_is_named(tmp_path: Path) -> None:
    arrays = _export(_classifier())
    arrays["parts.2.bias"] = arrays["parts.2.bias"].astype(np.float64)
    path = _write(tmp_path / "m.safetensors", arrays)
    _refused(_classifier(), path, "'parts.2.bias' has dtype F64, the model's is F32")


def test_a_bfloat16_file_from_torch_is_refused_by_name(tmp_path: Path) -> None:
    tm = to_torch(_classifier()).to(torch.bfloat16)
    safetensors.torch.save_file(tm.state_dict(), tmp_path / "m.safetensors")
    _refused(_classifier(), tmp_path / "m.safetensors", "'parts.0.bias_ih_l0' has dtype BF16")


def test_a_float64_model_refuses_a_float32_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.safetensors", _export(_classifier()))
    template = _classifier().astype(np.float64)
    _refused(template, path, "'parts.2.weight' has dtype F32, the model's is F64")


def test_missing_truncated_and_foreign_files(tmp_path: Path) -> None:
    _refused(_classifier(), tmp_path / "absent.safetensors", "no such file")
    good = tmp_path / "good.safetensors"
    save_safetensors(_classifier(), good)
    blob = good.read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(blob[: len(blob) // 2])
    _refused(_classifier(), tmp_path / "cut.safetensors", "not a readable safetensors file")
    with (tmp_path / "npz.safetensors").open("wb") as handle:
        np.savez(handle, a=np.zeros(3))
    _refused(_classifier(), tmp_path / "npz.safetensors", "not a readable safetensors file")
    (tmp_path / "empty.safetensors").write_bytes(b"")
    _refused(_classifier(), tmp_path / "empty.safetensors", "not a readable safetensors file")


def test_a_file_for_another_model_names_every_disagreement(tmp_path: Path) -> None:
    path = tmp_path / "gru.safetensors"
    save_safetensors(M.Seq2Seq.init(5, 7, 8, 6, rng=0), path)
    with pytest.raises(ModelFileError, match="does not fit this Chain") as info:
        load_safetensors(_classifier(), path)
    message = str(info.value)
    for name in _export(_classifier()):
        assert f"{name!r} is missing" in message, name


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "m.safetensors"
    save_safetensors(_classifier(), target)
    before = target.read_bytes()

    def crash(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)  # a crash after the bytes, before the rename
    with pytest.raises(OSError, match="disk full"):
        save_safetensors(_perturbed(_classifier(), 3), target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


def test_not_a_module_is_a_type_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match='save_safetensors: argument "module"'):
        save_safetensors({"w": np.zeros(2)}, tmp_path / "m.safetensors")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match='load_safetensors: argument "module"'):
        load_safetensors("model", tmp_path / "m.safetensors")  # type: ignore[type-var]


def test_bad_paths_are_named(tmp_path: Path) -> None:
    module = L.Linear(2, 3, rng=0)
    with pytest.raises(TypeError, match='save_safetensors: argument "path" must be a str'):
        save_safetensors(module, 123)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match='load_safetensors: argument "path" must be a str'):
        load_safetensors(module, None)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="save_safetensors: no such directory: .*absent"):
        save_safetensors(module, tmp_path / "absent" / "m.safetensors")
    _refused(module, tmp_path, "is not a readable safetensors file")  # a directory


def test_without_the_extra_the_error_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "safetensors", None)  # as if it were not installed
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r"pip install 'shapely_nn\[safetensors\]'"):
        save_safetensors(L.Linear(2, 3, rng=0), tmp_path / "m.safetensors")
    with pytest.raises(ImportError, match=r"shapely_nn\[safetensors\]"):
        load_safetensors(L.Linear(2, 3, rng=0), tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()
