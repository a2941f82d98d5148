"""Graders for notebook 02's exercises (see course_utils.exercises)."""

from __future__ import annotations

import math
import numbers

import torch

from course_utils.exercises import expect_close, expect_int, grader

# The hard exercise's expected loss needs a training run: run it once per notebook session.
_DENSE_LOSSES: dict[tuple[int, int], float] = {}


@grader("02.easy")
def trainable_with_dense(answer, hidden, layers, rank):
    # query_key_value: A is r x hidden, B is 3*hidden x r; dense: A is r x hidden, B is hidden x r.
    expected = layers * rank * ((hidden + 3 * hidden) + (hidden + hidden))
    return expect_int(answer, expected, "the trainable count with query_key_value and dense")


@grader("02.medium")
def rslora_output(answer, W, b, A, B, x, r, alpha):
    if not isinstance(answer, torch.Tensor):
        return f"Give a tensor of shape {(x.shape[0], W.shape[0])}, not {type(answer).__name__}."
    if tuple(answer.shape) != (x.shape[0], W.shape[0]):
        return f"The output has one row per input and one column per output: shape {(x.shape[0], W.shape[0])}."
    expected = x @ W.T + b + (alpha / math.sqrt(r)) * (x @ A.T @ B.T)
    if not torch.allclose(answer.detach().float(), expected, atol=1e-4, rtol=1e-4):
        return "Not the rsLoRA output: the frozen layer plus the low-rank path, scaled by alpha / sqrt(r)."
    return None


@grader("02.hard")
def dense_only_validation_loss(answer, lora_validation_loss, rank):
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return f"Give the validation loss as a number, not {type(answer).__name__}."
    key = (id(lora_validation_loss), rank)
    if key not in _DENSE_LOSSES:
        _DENSE_LOSSES[key] = lora_validation_loss(rank, target_modules=["dense"])[0]
    return expect_close(
        answer, _DENSE_LOSSES[key], rel_tol=0.01, what=f"the validation loss of a rank-{rank} adapter on dense alone"
    )
