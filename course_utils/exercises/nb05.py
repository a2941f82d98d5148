"""Graders for notebook 05's exercises (see course_utils.exercises)."""

from __future__ import annotations

import torch

from course_utils.exercises import expect_close, expect_int, grader


@grader("05.easy")
def logistic_regression_parameters_three_classes(answer, regression):
    """Three classes: one weight vector and one bias per class, on the vectors section 3 used."""
    expected = 3 * (regression.coef_.shape[1] + 1)
    return expect_int(answer, expected, "the number of parameters of a three-class logistic regression")


@grader("05.medium")
def head_only_first_class_f1(answer, test_ids, predictions):
    """The F1 of class 0 for the head-only model (the table stores only the macro average)."""
    from sklearn.metrics import f1_score

    expected = f1_score(test_ids, predictions["head_only"], labels=[0], average=None, zero_division=0)[0]
    return expect_close(answer, float(expected), 1e-6, "the head-only model's F1 on the first class")


@grader("05.hard")
def head_and_last_block_trained(answer, results, load_classifier):
    """The head (as in section 4) plus every parameter of the body's last block, trained with fine_tune."""
    fresh, _ = load_classifier()
    blocks = next(m for m in fresh.base_model.modules() if isinstance(m, torch.nn.ModuleList))
    expected = results["head_only"]["trainable_params"] + sum(p.numel() for p in blocks[-1].parameters())
    wrong = expect_int(answer, expected, "the number of trainable parameters with the head and the last block")
    if wrong:
        return wrong
    trained = results.get("last_block", {}).get("trainable_params")
    if trained != expected:
        return (
            'the count is right; now train that model with fine_tune("last_block", your_model, learning_rate)'
            + ("" if trained is None else ": the run in results['last_block'] trained a different set of parameters")
            + "."
        )
    return None
