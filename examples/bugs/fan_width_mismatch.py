"""Fan of heads whose joined width does not match the next layer.

Three heads of 4 features give 12, but the projection was sized for the latent 16.
"""

from shapely_nn.layers import Linear
from shapely_nn.modules import fan


def build() -> None:
    heads = fan(lambda g: Linear(16, 4, rng=g), 3, rng=0)
    block = heads >> Linear(16, 16, rng=1)  # E: ">>" joins Fan[16, 12] to Linear[16, 16]: the left outputs 12 features, the right expects 16  [shape]
