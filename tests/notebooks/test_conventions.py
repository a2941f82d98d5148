"""What holds for every executed notebook: clean outputs, and exercises whose checks really check."""

import json
from pathlib import Path

import pytest

from course_utils.exercises import answer_variable, load_solutions, solutions_path, verdicts
from course_utils.paths import repo_root
from course_utils.runner import noisy_outputs, notebook_paths

NAMES = [p.stem for p in notebook_paths()]
SOLVED = [name for name in NAMES if solutions_path(name).is_file()]
LAZY = {"1", "0", "True", "False"}


def executed(run_notebook, name: str) -> dict:
    return json.loads((Path(run_notebook(name)["_output_dir"]) / f"{name}.ipynb").read_text())


@pytest.mark.notebook
@pytest.mark.parametrize("name", NAMES)
def test_executed_outputs_hold_no_warning_or_traceback_text(run_notebook, name):
    assert noisy_outputs(executed(run_notebook, name)) == []


@pytest.mark.notebook
@pytest.mark.parametrize("name", SOLVED)
def test_every_solution_passes_and_every_wrong_answer_fails(run_notebook, name):
    source = json.loads((repo_root() / "notebooks" / f"{name}.ipynb").read_text())
    asked = [v for v in map(answer_variable, source["cells"]) if v]
    solutions, wrong = load_solutions(name)
    assert asked and sorted(asked) == sorted(solutions), "one solution per exercise, no more"
    for variable in asked:
        attempts = [w.split("=", 1)[1].strip() for w in wrong.get(variable, [])]
        assert len(attempts) >= 2 and LAZY & set(attempts), f"{variable}: a lazy and a plausible wrong answer"
    found = verdicts(executed(run_notebook, name))
    assert sorted(found) == sorted(asked)
    for variable, seen in found.items():
        *wrongs, (role, last) = seen
        assert role == "solution-check" and last.endswith(": correct"), (variable, last)
        assert wrongs and all(r == "wrong-check" and ": not yet." in text for r, text in wrongs), (variable, wrongs)
