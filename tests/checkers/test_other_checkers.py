"""pyright and basedpyright: no red on the project's correct programs, the plain mismatches kept.

To every checker but mypy (with the plugin), ``Add``/``Mul``/``FloorDiv`` are ``Any``: those
checkers cannot do the arithmetic, so they must not call a correct sum wrong. What they can see
on their own (a literal size against another literal, two distinct symbolic dims) still shows.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from _other_checkers import (
    BUGS,
    EXAMPLES,
    PACKAGE,
    PROGRAMS,
    ROOT,
    Finding,
    by_file,
    marked_lines,
    run,
)

# False errors that wait for a change elsewhere, per file, pinned so the test fails both ways
# (a new false error, or one fixed but still listed). None are left: pyright widens a
# constructor's literal sizes to ``int`` when no declared type is in sight, which the sized
# layers meet with ``if TYPE_CHECKING: def __new__(...)`` (pyright takes ``__new__``'s type, mypy
# reads ``__init__`` and keeps the literals).
KNOWN_IN_PROGRAMS: dict[str, int] = {}
KNOWN_IN_PACKAGE: dict[str, int] = {}
# What pyright would say if the type-level dims were classes to it (as they were).
_TYPE_LEVEL = re.compile(r"\b(Add|Mul|FloorDiv)\[")


def _course_or_example(f: Finding, course: list[Path]) -> bool:
    return f.path.parent in (EXAMPLES, PROGRAMS) or f.path in course


def test_correct_programs_have_no_false_errors(
    checker: str, program_errors: list[Finding], course: list[Path]
) -> None:
    """Examples and course code: errors only on the course's deliberate ``# E:`` lines."""
    false = [
        f
        for f in program_errors
        if _course_or_example(f, course) and f.line not in marked_lines(f.path)
    ]
    in_examples = [f for f in false if f.path.parent in (EXAMPLES, PROGRAMS)]
    assert by_file(in_examples, ROOT) == KNOWN_IN_PROGRAMS, "\n".join(map(str, false))
    assert [f for f in false if f.path in course] == []


def test_no_error_anywhere_is_about_a_type_level_dim(
    checker: str, program_errors: list[Finding], package_errors: list[Finding]
) -> None:
    """``Add``/``Mul``/``FloorDiv`` are ``Any`` to the checker: no message can mention them."""
    assert [f for f in program_errors + package_errors if _TYPE_LEVEL.search(f.message)] == []


def test_the_package_has_no_false_errors_in_basic_mode(
    checker: str, package_errors: list[Finding]
) -> None:
    """``shapely_nn/`` in basic mode: only the pinned errors that wait for their owners."""
    assert all(f.path.is_relative_to(PACKAGE) for f in package_errors)
    found = "\n".join(map(str, package_errors))
    hint = "fix these, or pin one that waits on another change in KNOWN_IN_PACKAGE (say why)"
    assert by_file(package_errors, ROOT) == KNOWN_IN_PACKAGE, f"{hint}:\n{found}"


def test_bug_gallery_counts_are_recorded(
    checker: str,
    program_errors: list[Finding],
    course: list[Path],
    record_property: pytest.RecordProperty,
) -> None:
    """How many gallery bugs the checker flags on their line (printed, not a target)."""
    bugs = sorted(BUGS.glob("*.py"))
    caught = {
        f.path for f in program_errors if f.path.parent == BUGS and f.line in marked_lines(f.path)
    }
    elsewhere = [
        f for f in program_errors if f.path.parent == BUGS and f.line not in marked_lines(f.path)
    ]
    in_course = [f for f in program_errors if f.path in course and f.line in marked_lines(f.path)]
    course_bugs = sum(len(marked_lines(p)) for p in course)
    record_property(
        "gallery",
        f"{checker}: {len(caught)} of {len(bugs)} gallery bugs on their line, "
        f"{len(elsewhere)} errors elsewhere in the gallery; "
        f"{len(in_course)} of {course_bugs} course bugs",
    )
    # Counted per file: every gallery file states exactly one bug.
    assert all(len(marked_lines(p)) == 1 for p in bugs)


MISMATCHES = textwrap.dedent(
    """\
    from typing import Literal as L, TypeVar

    from shapely_nn import Add, Mul, Tensor, concat
    from shapely_nn.layers import Linear

    B = TypeVar("B", bound=int)
    T = TypeVar("T", bound=int)
    H = TypeVar("H", bound=int)


    def literal(head: Linear[L[128], L[10]], x: Tensor[B, L[64]]) -> Tensor[B, L[10]]:
        return head(x)


    def symbolic(x: Tensor[B, L[3]]) -> Tensor[T, L[3]]:
        return x


    def arithmetic(x: Tensor[B, H], y: Tensor[B, H]) -> Tensor[B, Add[H, H]]:
        return concat([x, y], axis=-1)


    def arithmetic_again(x: Tensor[B, Add[H, H]]) -> Tensor[B, Mul[L[2], H]]:
        return x


    def sized(head: Linear[Add[L[32], L[32]], L[17]], x: Tensor[B, L[64]]) -> Tensor[B, L[17]]:
        return head(x)
    """
)


def test_literal_and_symbolic_mismatches_still_show(checker: str, tmp_path: Path) -> None:
    """64 against 128 and ``B`` against ``T`` are errors; correct sums are not."""
    program = tmp_path / "mismatches.py"
    program.write_text(MISMATCHES)
    errors = run(checker, [program], "standard", tmp_path)
    assert [(f.line, f.rule) for f in errors] == [
        (12, "reportArgumentType"),
        (16, "reportReturnType"),
    ], "\n".join(map(str, errors))
    assert "Tensor[B@literal, Literal[64]]" in errors[0].message
    assert "Tensor[B@symbolic, Literal[3]]" in errors[1].message


BUILT_IN_PLACE = textwrap.dedent(
    """\
    from typing import Literal as L, TypeVar

    from shapely_nn import Tensor
    from shapely_nn.layers import Linear

    B = TypeVar("B", bound=int)


    def head(h: Tensor[B, L[32]]) -> Tensor[B, L[10]]:
        proj = Linear(32, 10, rng=0)
        return proj(h)
    """
)


def test_a_layer_built_in_a_plain_variable_is_not_red(checker: str, tmp_path: Path) -> None:
    """The commonest correct program: a layer in a variable, applied; no error."""
    program = tmp_path / "built_in_place.py"
    program.write_text(BUILT_IN_PLACE)
    assert run(checker, [program], "standard", tmp_path) == []
