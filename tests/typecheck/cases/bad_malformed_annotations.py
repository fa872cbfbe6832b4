"""Malformed shapes are reported where they are written; Any is never an error."""
from typing import Any, Literal as L, TypeVar

from shapely_nn import Add, FloorDiv, Mul, Tensor

B = TypeVar("B", bound=int)
H = TypeVar("H", bound=int)


def a(x: Tensor[1.5]) -> None: ...  # E: Invalid type comment or annotation  [valid-type]
def b(x: Tensor[str]) -> None: ...  # E: Tensor[...] dim 0: "str" is not a dim (use Literal[n], a TypeVar, Add, Mul, FloorDiv or int)  [shape]
def c(x: Tensor[B, L[-1]]) -> None: ...  # E: Tensor[...] dim 1: a dim must be non-negative, got Literal[-1]  [shape]
def d(x: Tensor["Missing"]) -> None: ...  # E: Name "Missing" is not defined  [name-defined]
def e(x: Tensor[Add[B, str]]) -> None: ...  # E: invalid Add[...]: "str" is not a dim (use Literal[n], a TypeVar, Add, Mul, FloorDiv or int)  [shape]
def f(x: Tensor[FloorDiv[B, H]]) -> None: ...  # E: invalid FloorDiv[...]: FloorDiv takes a dim and a positive literal divisor: FloorDiv[E, L[4]]  [shape]
def g(x: Tensor[L["a"]]) -> None: ...  # E: Tensor[...] dim 0: a literal dim must be an int, got Literal['a']  [shape]
def h(x: Tensor[Mul[B, 2]]) -> None: ...  # E: Invalid type: try using Literal[2] instead?  [valid-type]
def i(x: Tensor[Any, B]) -> None: ...
def j(x: Tensor[Add[Any, B]]) -> None: ...
def k(x: Tensor[B, list[int]]) -> None: ...  # E: Tensor[...] dim 1: "list[int]" is not a dim (use Literal[n], a TypeVar, Add, Mul, FloorDiv or int)  [shape]
def m(x: Tensor[None]) -> None: ...  # E: Tensor[...] dim 0: "None" is not a dim (use Literal[n], a TypeVar, Add, Mul, FloorDiv or int)  [shape]
