"""Graders for notebook 08's exercises (see course_utils.exercises)."""

from __future__ import annotations

import contextlib
import io
import numbers

from course_utils.exercises import expect_close, expect_int, grader

# The hard exercise's expected loss needs a training run: run it once per notebook session.
_TENTH_LR_LOSSES: dict[tuple[int, float], float] = {}


@grader("08.easy")
def prefix_with_twenty_tokens(answer, hidden, layers):
    expected = 20 * layers * 2 * hidden  # a key and a value of width hidden, per virtual token, per layer
    return expect_int(answer, expected, "the trainable count of prefix tuning with 20 virtual tokens")


@grader("08.medium")
def full_gradients_and_optimizer(answer, rows):
    full = next((r for r in rows if r["method"] == "full"), None)
    if full is None:
        return "This exercise needs the full fine-tuning run: keep 'full' in METHODS."
    # float32: a 4-byte gradient and two 4-byte AdamW moments per trainable parameter
    return expect_close(
        answer, 12 * full["trainable"], rel_tol=1e-3, what="the bytes of the full run's gradients and optimizer state"
    )


@grader("08.hard")
def prompt_tuning_at_a_tenth(answer, train_method, LEARNING_RATES):  # noqa: N803 (the notebook's name)
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return f"Give the validation loss as a number, not {type(answer).__name__}."
    rate = LEARNING_RATES["prompt"] / 10
    key = (id(train_method), rate)
    if key not in _TENTH_LR_LOSSES:
        with contextlib.redirect_stdout(io.StringIO()):  # the run's own lines (resuming, replacing) stay quiet
            _TENTH_LR_LOSSES[key] = train_method("prompt", learning_rate=rate)[2]["val_loss"]
    return expect_close(
        answer, _TENTH_LR_LOSSES[key], rel_tol=0.01, what="the validation loss of prompt tuning at a tenth of its rate"
    )
