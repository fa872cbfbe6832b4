"""The road to many machines: a typed model's export trains under DDP and comes back.

The training script is the one ``docs/scaling-out.md`` shows, read from the page, so the page
cannot drift from what is tested. It runs in two CPU processes on the gloo backend. The one
line of the script not run here is its ``init_process_group("gloo")`` for torchrun's
environment: the processes meet through a ``FileStore`` in the test's temporary directory
instead of a TCP store (which would listen on every interface), and gloo itself is held to
the loopback interface, so nothing leaves the machine.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import safetensors.torch
import torch

import shapely_nn as sn
from shapely_nn.io import from_torch, load_safetensors, to_torch

DOCS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "scaling-out.md"
WORLD = 2
DEADLINE_S = 60.0

# What each process runs: the script's ``run`` between a rendezvous on a file and teardown.
CHILD = """
import sys
from pathlib import Path
import torch
import torch.distributed as dist

script_dir, store, out_dir, rank, world = sys.argv[1:6]
sys.path.insert(0, script_dir)
import train_ddp

torch.set_num_threads(1)  # two processes share the machine's cores
dist.init_process_group(
    "gloo", init_method=f"file://{store}", rank=int(rank), world_size=int(world)
)
try:
    train_ddp.run(Path(out_dir))
finally:
    dist.destroy_process_group()
"""


def _script_source() -> str:
    """The ``py`` block of the docs page that starts with ``# train_ddp.py``."""
    blocks = re.findall(r"^```py\n(# train_ddp\.py\n.*?)^```$", DOCS_PAGE.read_text(), re.M | re.S)
    assert len(blocks) == 1, f"{DOCS_PAGE} should show exactly one train_ddp.py block"
    return str(blocks[0])


def _import_script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_ddp_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _launch(script_dir: Path, out_dir: Path) -> None:
    """Run the script's ``run`` in ``WORLD`` processes; fail with their output if any fails."""
    env = dict(os.environ)
    env.update(
        GLOO_SOCKET_IFNAME="lo",  # gloo's pairs bind and connect on loopback only
        OMP_NUM_THREADS="1",
        PYTHONWARNINGS="error",  # the children are as strict about warnings as pytest
    )
    store = out_dir / "store"
    logs = [out_dir / f"rank{r}.log" for r in range(WORLD)]
    procs = []
    for rank, log in enumerate(logs):
        with log.open("wb") as handle:
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        CHILD,
                        *map(str, (script_dir, store, out_dir, rank, WORLD)),
                    ],
                    env=env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )
            )
    deadline = time.monotonic() + DEADLINE_S
    try:
        for proc in procs:
            proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
    except subprocess.TimeoutExpired:
        pass
    finally:
        for proc in procs:  # only the processes this test started
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    report = "\n".join(
        f"--- rank {r} (exit {p.returncode}):\n{logs[r].read_text()}" for r, p in enumerate(procs)
    )
    assert all(p.returncode == 0 for p in procs), f"DDP run failed or timed out:\n{report}"


def _state(module: Any) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def _max_diff(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    assert set(a) == set(b)
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, Path]:
    """The docs script, and the directory its two ranks wrote their weights to."""
    root = tmp_path_factory.mktemp("ddp")
    (root / "train_ddp.py").write_text(_script_source())
    out_dir = root / "out"
    out_dir.mkdir()
    _launch(root, out_dir)
    return _import_script(root / "train_ddp.py"), out_dir


def test_ranks_agree_and_equal_whole_batch_training(ddp_run: tuple[ModuleType, Path]) -> None:
    script, out_dir = ddp_run
    ranks = [safetensors.torch.load_file(out_dir / f"rank{r}.safetensors") for r in range(WORLD)]
    ranks_np = [{k: v.numpy() for k, v in state.items()} for state in ranks]
    # DDP kept the replicas in step: the same averaged gradient, the same update, bit for bit.
    for key in ranks_np[0]:
        np.testing.assert_array_equal(ranks_np[0][key], ranks_np[1][key], err_msg=key)

    x, y = script.dataset()
    initial = _state(to_torch(script.build()))
    whole = to_torch(script.build())
    script.train(whole, x, y)
    one_shard = to_torch(script.build())
    script.train(one_shard, x[:, 0::WORLD], y[0::WORLD])

    trained = ranks_np[0]
    assert _max_diff(trained, initial) > 1e-2, "training did not move the weights"
    # The all-reduce happened: the average of the two shards' mean gradients is the whole
    # batch's mean gradient, so the run equals whole-batch training up to float32 rounding...
    assert _max_diff(trained, _state(whole)) <= 1e-5
    # ...and not what rank 0's shard alone would have given.
    assert _max_diff(trained, _state(one_shard)) > 1e-3


def test_the_trained_weights_come_back_into_the_typed_model(
    ddp_run: tuple[ModuleType, Path],
) -> None:
    script, out_dir = ddp_run
    path = out_dir / "rank0.safetensors"
    x, y = script.dataset()
    net = to_torch(script.build())
    net.load_state_dict(safetensors.torch.load_file(path), strict=True)
    net.eval()
    with torch.no_grad():
        theirs = net(x).numpy()

    model = script.build()
    back = load_safetensors(model, path)
    assert type(back) is type(model)
    ours = back(sn.tensor(x.numpy())).numpy()
    assert ours.dtype == theirs.dtype == np.float32
    assert float(np.max(np.abs(ours - theirs))) <= 1e-5
    # from_torch of the trained module lands on the same typed parameters.
    again = from_torch(net)
    for name, value in back.parameters().items():
        np.testing.assert_array_equal(again.parameters()[name], value, err_msg=name)

    # And the typed model is better at the task than before training.
    def loss(logits: np.ndarray) -> float:
        shifted = logits - logits.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(y)), y.numpy()].mean())

    before = model(sn.tensor(x.numpy())).numpy()
    assert loss(ours) < loss(before) - 0.05
