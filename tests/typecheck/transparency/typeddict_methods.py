"""TypedDict methods: mypy's default plugin types get/pop/setdefault/update/del precisely."""

from typing import NotRequired, TypedDict


class Movie(TypedDict, total=False):
    title: str
    year: int


class Point(TypedDict):
    x: int
    y: int
    label: NotRequired[str]


movie: Movie = {}
reveal_type(movie.get("year"))
reveal_type(movie.get("year", 0))
reveal_type(movie.get("title", None))
reveal_type(movie.get("nope"))
movie.pop("title")
movie.pop("nope")
reveal_type(movie.pop("year", 1999))
reveal_type(movie.setdefault("year", 2000))
movie.setdefault("year", "2000")
movie.update({"year": 1})
movie.update({"year": "one"})
del movie["title"]
point: Point = {"x": 1, "y": 2}
point.pop("x")
del point["y"]
reveal_type(point | {"x": 3})
reveal_type(point.get("label"))
point["z"] = 3
reveal_type(point.keys())
reveal_type(point.items())
