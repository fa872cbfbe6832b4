"""attrs (when installed): generated __init__, evolve, fields."""

import attrs


@attrs.define
class Shape:
    rows: int
    cols: int = 1


s = Shape(2)
reveal_type(attrs.evolve(s, cols=3))
attrs.evolve(s, cols="3")
reveal_type(attrs.fields(Shape).rows)
Shape("2")
