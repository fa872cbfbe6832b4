"""residual() around a feed-forward that forgot its down-projection.

x + block(x) needs the block to give back the input width.
"""

from shapely_nn.layers import Linear, ReLU
from shapely_nn.modules import residual


def build() -> None:
    feed_forward = Linear(64, 256, rng=0) >> ReLU()
    block = residual(feed_forward)  # E: residual needs a block that keeps its width (Module[X, X]), got Chain[64, 256, SameLead]: it maps 64 features to 256  [shape]
