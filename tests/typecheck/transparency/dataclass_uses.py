"""dataclasses: generated __init__, replace, field, order, frozen."""

import dataclasses
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Config:
    width: int
    depth: int = 2
    tags: list[str] = field(default_factory=list)


config = Config(4)
reveal_type(dataclasses.replace(config, depth=3))
dataclasses.replace(config, depth="3")
dataclasses.replace(config, height=3)
config.width = 5
Config("4")
Config(4, 2, ["a"], 1)
reveal_type(config < Config(5))
reveal_type(dataclasses.fields(config))
reveal_type(dataclasses.asdict(config))


@dataclass
class Node:
    value: int
    children: list["Node"] = field(default_factory=list)
    label: str = field(default="", kw_only=True)


Node(1, [], "x")
reveal_type(Node(1, label="x").children)
