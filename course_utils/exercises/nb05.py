"""Graders for notebook 05's exercises (see course_utils.exercises)."""

from __future__ import annotations

import torch

from course_utils.exercises import expect_close, expect_int, grader


@grader("05.easy")
def logistic_regression_parameters(answer, regression):
    expected = regression.coef_.size + regression.intercept_.size
    return expect_int(answer, expected, "the number of parameters of the logistic regression")


@grader("05.medium")
def head_only_macro_f1(answer, results):
    return expect_close(answer, results["head_only"]["f1"], 1e-6, "the head-only model's macro F1")


@grader("05.hard")
def head_and_last_block_trainable(answer, results, load_classifier):
    """The head (as in section 4) plus every parameter of the body's last block."""
    fresh, _ = load_classifier()
    blocks = next(m for m in fresh.base_model.modules() if isinstance(m, torch.nn.ModuleList))
    expected = results["head_only"]["trainable_params"] + sum(p.numel() for p in blocks[-1].parameters())
    return expect_int(answer, expected, "the number of trainable parameters with the head and the last block")
