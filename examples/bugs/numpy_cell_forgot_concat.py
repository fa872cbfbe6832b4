"""A NumPy RNN cell that forgot ``[x; h]``.

The cell's weight reads the input and the state side by side (``i+h`` rows).
"""

import numpy as np
from jaxtyping import Float


def rnn_cell(
    x: Float[np.ndarray, "b i"], h: Float[np.ndarray, "b h"], w: Float[np.ndarray, "i+h h"]
) -> Float[np.ndarray, "b h"]:
    return np.tanh(x @ w)  # E: "@": the left operand's last dim is i, the right operand's dim -2 is h + i (ndarray[b, i] @ ndarray[h + i, h])  [shape]


def main() -> None:
    rnn_cell(np.ones((2, 3)), np.ones((2, 4)), np.ones((7, 4)))
