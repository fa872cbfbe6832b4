"""save/load: every module round-trips; bad files are refused whole; writes are atomic."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import shapely_nn as sn
from shapely_nn import models
from shapely_nn.io import ModelFileError, load, save
from shapely_nn.layers import Linear, LSTMCell, MultiHeadAttention, TransformerEncoderLayer
from shapely_nn.modules import BiLSTM, RecurrentStack, fan

CASES: dict[str, tuple[Callable[[], Any], Callable[[np.random.Generator], Any]]] = {
    "Linear": (lambda: Linear(3, 4, rng=0), lambda r: sn.randn((2, 3), r)),
    "LSTMCell": (lambda: LSTMCell(3, 4, rng=0), lambda r: sn.randn((2, 3), r)),
    "BiLSTM": (lambda: BiLSTM(3, 4, rng=0), lambda r: sn.randn((5, 2, 3), r)),
    "RecurrentStack": (
        lambda: RecurrentStack.build("GRU", 3, 4, 2, rng=0),
        lambda r: sn.randn((5, 2, 3), r),
    ),
    "MultiHeadAttention": (
        lambda: MultiHeadAttention(8, 2, rng=0),
        lambda r: sn.randn((2, 5, 8), r),
    ),
    "TransformerEncoderLayer": (
        lambda: TransformerEncoderLayer(8, 2, 16, rng=0),
        lambda r: sn.randn((2, 5, 8), r),
    ),
    "fan >> Linear": (
        lambda: fan(lambda g: Linear(3, 2, rng=g), 3, rng=0) >> Linear(6, 1, rng=1),
        lambda r: sn.randn((2, 3), r),
    ),
    "LSTMClassifier": (
        lambda: models.LSTMClassifier.init(3, 4, 2, rng=0),
        lambda r: sn.randn((5, 2, 3), r),
    ),
    "LSTMLanguageModel": (
        lambda: models.LSTMLanguageModel.init(6, 4, 2, dropout=0.2, rng=0),
        lambda r: sn.one_hot(sn.tensor(r.integers(0, 6, size=(5, 2))), 6),
    ),
    "Seq2Seq": (
        lambda: models.Seq2Seq.init(5, 6, 4, 4, encoder="transformer", heads=2, rng=0),
        lambda r: (
            sn.one_hot(sn.tensor(r.integers(0, 5, size=(3, 2))), 5),
            sn.one_hot(sn.tensor(r.integers(0, 6, size=(4, 2))), 6),
        ),
    ),
    "quivers_seq2seq": (
        lambda: models.quivers_seq2seq(rng=0),
        lambda r: sn.tensor(r.integers(0, 32, size=(4, 2))),
    ),
}


def _first(out: Any) -> Any:
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_gives_equal_outputs(
    name: str, tmp_path: Path, rng: np.random.Generator
) -> None:
    build, make_input = CASES[name]
    module = build()
    x = make_input(rng)
    path = tmp_path / "model.npz"
    save(module, path)
    loaded = load(path)
    assert type(loaded) is type(module)
    assert sorted(loaded.parameters()) == sorted(module.parameters())
    np.testing.assert_array_equal(_first(loaded(x)).numpy(), _first(module(x)).numpy())
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_truncated_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    save(Linear(3, 4, rng=0), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        load(path)


def test_foreign_npz_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.zeros(3))
    with pytest.raises(ModelFileError, match="is not a shapely_nn model file \\(no header\\)"):
        load(path)


def _rewrite_header(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    header = json.loads(arrays["__header__"].tobytes().decode())
    edit(header)
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


def test_array_disagreeing_with_declared_shape_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    save(Linear(3, 4, rng=0), path)
    _rewrite_header(path, lambda h: h["tree"]["fields"]["weight"].update(shape=[4, 5]))
    with pytest.raises(
        ModelFileError,
        match="load: weight has shape \\[4, 3\\] float32, the header declares \\[4, 5\\] float32",
    ):
        load(path)


def test_class_outside_the_package_is_never_built(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    save(Linear(3, 4, rng=0), path)
    _rewrite_header(path, lambda h: h["tree"].update(layer="os:system"))
    with pytest.raises(ModelFileError, match="refusing to build 'os:system'"):
        load(path)


def test_pickled_payload_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    save(Linear(3, 4, rng=0), path)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["a0"] = np.array([{"evil": 1}], dtype=object)
    np.savez(path, **arrays)
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        load(path)


def test_failed_save_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    save(Linear(3, 4, rng=0), path)
    before = path.read_bytes()
    bad = models.Kernel(Linear(3, 4, rng=0), scale=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="save: cannot store object at scale"):
        save(bad, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_file_is_a_plain_zip_of_npy(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    save(Linear(3, 4, rng=0), path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["__header__.npy", "a0.npy", "a1.npy"]


def test_crash_while_writing_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.npz"
    save(Linear(3, 4, rng=0), path)
    before = path.read_bytes()

    def crash(handle: Any, **arrays: Any) -> None:
        handle.write(b"PK\x03\x04 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        save(Linear(3, 4, rng=1), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_missing_file_is_named_not_called_corrupt(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.snn"
    with pytest.raises(ModelFileError, match=f"^load: no such file: {missing}$"):
        load(missing)


@pytest.mark.parametrize("module", [None, np.zeros(3), "model"])
def test_save_refuses_what_is_not_a_module(tmp_path: Path, module: Any) -> None:
    with pytest.raises(TypeError, match='^save: argument "module" must be a shapely_nn layer'):
        save(module, tmp_path / "m.snn")
    assert not list(tmp_path.iterdir())  # nothing half written
