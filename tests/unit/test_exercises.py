"""Exercise checks: graders reject lazy and wrong answers without printing the right one."""

import copy
import json

import pytest

from course_utils.exercises import (
    check,
    expect_choice,
    expect_close,
    expect_int,
    grade,
    grader,
    load_solutions,
    solved_copy,
    verdicts,
    with_solutions,
)
from course_utils.paths import repo_root


@grader("99.test")
def _double(answer, x):
    return expect_int(answer, 2 * x, "twice x")


def test_check_prints_one_verdict_and_never_the_expected_value(capsys):
    check("99.test", None, x=21)
    check("99.test", 41, x=21)
    check("99.test", 42, x=21)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("99.test: not answered yet")
    assert out[1].startswith("99.test: not yet.") and "42" not in out[1]
    assert out == out[:2] + ["99.test: correct"]


@pytest.mark.parametrize("lazy", [True, False, 1, 0, "42", [42]])
def test_lazy_answers_and_wrong_types_fail(lazy):
    assert grade("99.test", lazy, x=21) is not None


def test_building_blocks():
    assert expect_int(4.0, 4) is None and expect_int(4.5, 4) is not None
    assert expect_close(0.1001, 0.1, rel_tol=1e-2) is None and expect_close(0.2, 0.1, rel_tol=1e-2) is not None
    assert expect_close(True, 1.0, rel_tol=1e-2) is not None
    assert expect_choice("text", "text", ["text", "random"]) is None
    assert expect_choice("random", "text", ["text", "random"]) is not None
    assert expect_choice(True, "text", ["text", "random"]) is not None


def test_an_exercise_without_a_grader_is_a_clear_error():
    with pytest.raises(KeyError, match="No grader for exercise '99.nothing'"):
        grade("99.nothing", 1)


def cell(kind, source, **meta):
    base = {"cell_type": kind, "metadata": dict(meta), "source": source}
    return base | ({"outputs": [], "execution_count": None} if kind == "code" else {})


NOTEBOOK = {
    "cells": [
        cell("markdown", "**Easy.** Twice x?"),
        cell("code", "answer_double = None  # TODO\n"),
        cell("code", 'check("99.test", answer_double, x=x)\n'),
        cell("markdown", "end"),
    ]
}


def test_solutions_are_tried_after_the_wrong_answers_on_a_copy():
    original = copy.deepcopy(NOTEBOOK)
    solved = with_solutions(
        NOTEBOOK, {"answer_double": "answer_double = 2 * x"}, {"answer_double": ["answer_double = 1"]}
    )
    assert NOTEBOOK == original  # the notebook given is not changed
    sources = ["".join(c["source"]) for c in solved["cells"]]
    assert sources == [
        "**Easy.** Twice x?",
        "answer_double = 1",
        'check("99.test", answer_double, x=x)\n',
        "answer_double = 2 * x",
        'check("99.test", answer_double, x=x)\n',
        "end",
    ]
    roles = [c["metadata"].get("tags", []) for c in solved["cells"]]
    assert roles[1:5] == [["wrong-answer"], ["wrong-check"], ["solution"], ["solution-check"]]
    with pytest.raises(KeyError, match="No solution for answer_double"):
        with_solutions(NOTEBOOK, {}, {})


def test_verdicts_are_read_back_per_exercise_in_order():
    solved = with_solutions(
        NOTEBOOK, {"answer_double": "answer_double = 2 * x"}, {"answer_double": ["answer_double = 1"]}
    )
    for c, text in zip(solved["cells"][2:5:2], ["99.test: not yet. x\n", "99.test: correct\n"], strict=True):
        c["outputs"] = [{"output_type": "stream", "name": "stdout", "text": text}]
    assert verdicts(solved) == {
        "answer_double": [("wrong-check", "99.test: not yet. x"), ("solution-check", "99.test: correct")]
    }


@pytest.mark.parametrize("with_wrong", [True, False])
def test_solved_copy_is_answered_and_removed_even_when_the_run_fails(tmp_path, with_wrong):
    notebook = repo_root() / "notebooks" / "00_environment_check.ipynb"
    with pytest.raises(RuntimeError, match="the run failed"):
        with solved_copy(notebook, tmp_path, with_wrong=with_wrong) as copy_path:
            tags = [t for c in json.loads(copy_path.read_text())["cells"] for t in c["metadata"].get("tags", [])]
            assert tags.count("solution") == len(load_solutions(notebook.stem)[0]) > 0
            assert ("wrong-answer" in tags) is with_wrong
            raise RuntimeError("the run failed")
    assert list(tmp_path.iterdir()) == []  # nothing left behind
