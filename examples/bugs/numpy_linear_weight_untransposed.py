"""A NumPy linear layer with its weight untransposed.

A linear weight is stored [out, in], as PyTorch stores it: the product needs ``w.T``.
"""

import numpy as np
from jaxtyping import Float


def linear(
    x: Float[np.ndarray, "b i"], w: Float[np.ndarray, "o i"], bias: Float[np.ndarray, "o"]
) -> Float[np.ndarray, "b o"]:
    return x @ w + bias  # E: "@": the left operand's last dim is i, the right operand's dim -2 is o (ndarray[b, i] @ ndarray[o, i])  [shape]


def main() -> None:
    linear(np.ones((2, 3)), np.ones((4, 3)), np.ones(4))
