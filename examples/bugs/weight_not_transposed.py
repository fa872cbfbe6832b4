"""Weight used without transposing.

A weight stored [Out, In] must be transposed before x @ W.
"""

from typing import Literal as L, TypeVar

from shapely_nn import Tensor

B = TypeVar("B", bound=int)


def affine(x: Tensor[B, L[64]], weight: Tensor[L[10], L[64]]) -> None:
    x @ weight  # E: "@" expects dim 0 K = 64 (bound by the left operand), got 10 in the right operand (Tensor[10, 64])  [shape]
