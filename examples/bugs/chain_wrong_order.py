"""Chain composed in the wrong order.

An MLP 784 -> 128 -> 10 written output layer first: the head cannot read the image.
"""

from shapely_nn.layers import Linear, ReLU


def build() -> None:
    hidden = Linear(784, 128, rng=0)
    head = Linear(128, 10, rng=1)
    mlp = head >> ReLU() >> hidden  # E: ">>" joins Chain[128, 10, SameLead] to Linear[784, 128]: the left outputs 10 features, the right expects 784  [shape]
