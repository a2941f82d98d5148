"""Check cells for the exercises: say whether an answer is right without giving it away.

A check cell calls ``check("02.easy", answer_two_modules, hidden=hidden, layers=layers)``: the
exercise's id, the learner's answer, and the notebook variables the grader needs (plain names,
no expressions, so the check cell never holds the answer). The graders live in one module per
notebook (``course_utils/exercises/nb02.py`` for notebook 02) and compute the expected value
from those variables. A verdict prints "correct" or "not yet" with a hint, never the value.

Instructors: the solutions are in ``solutions/<notebook>.py``; ``python -m course_utils.runner
--solutions`` runs the course with them filled in, and the notebook tests do the same, checking
that every solution passes and every listed wrong answer fails.
"""

from __future__ import annotations

import copy
import importlib
import json
import math
import numbers
import re
import runpy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Grader = Callable[..., str | None]
GRADERS: dict[str, Grader] = {}


def grader(exercise_id: str) -> Callable[[Grader], Grader]:
    """Register ``fn(answer, **context) -> None if right, else a hint`` under ``exercise_id``."""

    def register(fn: Grader) -> Grader:
        GRADERS[exercise_id] = fn
        return fn

    return register


def _grader_for(exercise_id: str) -> Grader:
    if exercise_id not in GRADERS:
        notebook = exercise_id.split(".")[0]
        try:
            importlib.import_module(f"course_utils.exercises.nb{notebook}")
        except ModuleNotFoundError:
            pass
    if exercise_id not in GRADERS:
        raise KeyError(f"No grader for exercise {exercise_id!r}: add one to course_utils/exercises/nb<notebook>.py.")
    return GRADERS[exercise_id]


def grade(exercise_id: str, answer: Any, **context: Any) -> str | None:
    """The grader's verdict on a given answer: None if right, else a hint."""
    return _grader_for(exercise_id)(answer, **context)


def check(exercise_id: str, answer: Any, **context: Any) -> None:
    """Grade one exercise and print the verdict (returns nothing, so a check cell shows one line).

    Args:
        exercise_id: "<notebook>.<level>", e.g. "02.easy".
        answer: the learner's answer (None until they fill it in).
        **context: the notebook variables the grader needs.
    """
    if answer is None:
        print(f"{exercise_id}: not answered yet (replace the None above, then run this cell again).")
        return
    hint = grade(exercise_id, answer, **context)
    print(f"{exercise_id}: correct" if hint is None else f"{exercise_id}: not yet. {hint}")


# Building blocks for graders: each returns None when the answer is right, else a hint.


def expect_int(answer: Any, expected: int, what: str = "the count", hint: str | None = None) -> str | None:
    """An exact integer (a float with an integral value is accepted; True/False are not numbers here).

    Args:
        hint: what a wrong count is told (default: compute it from the variables the exercise names).
    """
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return f"Give {what} as a number, not {type(answer).__name__}."
    if answer != int(answer):
        return f"{what.capitalize()} is a whole number."
    if int(answer) != expected:
        return f"That is not {what}: " + (hint or "compute it from the variables the exercise names.")
    return None


def expect_close(answer: Any, expected: float, rel_tol: float, what: str = "the value") -> str | None:
    """A number within ``rel_tol`` (relative) of ``expected``."""
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return f"Give {what} as a number, not {type(answer).__name__}."
    if not math.isclose(float(answer), expected, rel_tol=rel_tol):
        return f"That is not {what} (tolerance {rel_tol:g}, relative)."
    return None


def expect_choice(answer: Any, expected: str, choices: list[str], what: str = "the choice") -> str | None:
    """One of ``choices``, and the right one."""
    if answer not in choices:
        return f"Answer with one of {choices}."
    if answer != expected:
        return f"That is not {what}: read it from the results the exercise names."
    return None


# Solutions, filled into a copy of a notebook (the original is never changed).

ANSWER_CELL = re.compile(r"^(answer_\w+) = None\b")


def answer_variable(cell: dict) -> str | None:
    """The variable an exercise's answer cell asks for (``answer_... = None``), else None."""
    source = "".join(cell["source"]) if cell["cell_type"] == "code" else ""
    found = ANSWER_CELL.match(source)
    return found.group(1) if found else None


def solutions_path(notebook_stem: str) -> Path:
    """``solutions/<notebook>.py`` in the course folder."""
    from course_utils.paths import repo_root

    return repo_root() / "solutions" / f"{notebook_stem}.py"


def load_solutions(notebook_stem: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``(SOLUTIONS, WRONG)`` of one notebook: code per answer variable, and wrong answers to try first."""
    found = runpy.run_path(str(solutions_path(notebook_stem)))
    return found["SOLUTIONS"], found["WRONG"]


def _code_cell(source: str, role: str, variable: str, attempt: int = 0) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": f"{role}-{attempt}-{variable}".replace("_", "-")[:64],
        "metadata": {"tags": [role], "exercise": variable},
        "outputs": [],
        "source": source,
    }


def with_solutions(notebook: dict, solutions: dict[str, str], wrong: dict[str, list[str]]) -> dict:
    """A copy of ``notebook`` in which every exercise is answered: first wrongly, then right.

    Each answer cell ``answer_x = None`` becomes, for every wrong answer listed for ``answer_x``,
    that answer and a copy of the check cell (tagged ``wrong-check``), then the solution and the
    check cell (tagged ``solution-check``). Raises ``KeyError`` if an exercise has no solution.
    """
    solved = copy.deepcopy(notebook)
    cells: list[dict] = []
    source_cells = solved["cells"]
    i = 0
    while i < len(source_cells):
        cell = source_cells[i]
        variable = answer_variable(cell)
        if variable is None:
            cells.append(cell)
            i += 1
            continue
        if variable not in solutions:
            raise KeyError(f"No solution for {variable}: add it to the notebook's solutions file.")
        check_cell = source_cells[i + 1]
        check_source = "".join(check_cell["source"])
        for k, attempt in enumerate(wrong.get(variable, [])):
            cells.append(_code_cell(attempt, "wrong-answer", variable, k))
            cells.append(_code_cell(check_source, "wrong-check", variable, k))
        cells.append(_code_cell(solutions[variable], "solution", variable))
        check_cell.setdefault("metadata", {}).setdefault("tags", []).append("solution-check")
        check_cell["metadata"]["exercise"] = variable
        cells.append(check_cell)
        i += 2
    solved["cells"] = cells
    return solved


def verdicts(executed: dict) -> dict[str, list[tuple[str, str]]]:
    """From an executed solved notebook: per answer variable, (role, printed verdict) in order."""
    found: dict[str, list[tuple[str, str]]] = {}
    for cell in executed["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        role = next((t for t in tags if t in ("wrong-check", "solution-check")), None)
        if role is None:
            continue
        text = "".join("".join(o.get("text", "")) for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        found.setdefault(cell["metadata"]["exercise"], []).append((role, text.strip()))
    return found


@contextmanager
def solved_copy(path: Path, folder: Path, with_wrong: bool = True) -> Iterator[Path]:
    """A copy of notebook ``path``, in ``folder``, with every exercise answered; removed on exit.

    Args:
        with_wrong: try the listed wrong answers before each solution (the tests' copy);
            False answers with the solutions alone (an instructor's copy).
    """
    solutions, wrong = load_solutions(path.stem)
    copy_path = Path(folder) / f".{path.stem}.solved-input.ipynb"
    solved = with_solutions(json.loads(path.read_text()), solutions, wrong if with_wrong else {})
    copy_path.write_text(json.dumps(solved))
    try:
        yield copy_path
    finally:
        copy_path.unlink(missing_ok=True)
