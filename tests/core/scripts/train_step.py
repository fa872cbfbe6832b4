"""A Seq2Seq training step, run unchecked or with shapely_nn itself imported checked.

Prints the loss and the summed gradient magnitudes, then whether LSTM's call is wrapped.
"""

import sys

import numpy as np

import shapely_nn as sn

PACKAGES = ("shapely_nn.layers", "shapely_nn.modules", "shapely_nn.models", "shapely_nn.train")


def main() -> None:
    """Run one step; the hook must be installed before the packages are imported."""
    if len(sys.argv) > 1:
        sn.check_package(*PACKAGES)
    from shapely_nn import models
    from shapely_nn.modules import LSTM
    from shapely_nn.train import cross_entropy

    model = models.Seq2Seq.init(5, 6, 4, 4, encoder="lstm", heads=2, rng=0)
    gen = np.random.default_rng(0)
    src = sn.one_hot(sn.tensor(gen.integers(0, 5, (3, 2))), 5)
    tgt = sn.one_hot(sn.tensor(gen.integers(0, 6, (4, 2))), 6)
    logits, cache = model.forward((src, tgt))
    loss, grad = cross_entropy(logits, sn.tensor(gen.integers(0, 6, (4, 2))))
    grads, _ = model.backward(cache, grad)
    total = float(sum(np.abs(v).sum() for v in grads.as_dict().values()))
    print(round(loss, 10), round(total, 8))
    print(getattr(LSTM.__call__, "__shapechecked__", False))


if __name__ == "__main__":
    main()
