"""Graders for notebook 01's exercises (see course_utils.exercises)."""

from __future__ import annotations

import math
import numbers

import torch
from peft import PromptTuningConfig, TaskType

from course_utils.exercises import expect_close, expect_int, grader
from course_utils.params import count_params
from course_utils.paths import real_config_path
from course_utils.scoring import choose, completion_logprobs


def _validation_accuracy(model, tokenizer, val_questions, val_rows, labels) -> float:
    options = [[" " + label for label in labels]] * len(val_questions)
    picks = choose(model, tokenizer, val_questions, options)
    return sum(labels[p] == row["label"] for p, row in zip(picks, val_rows, strict=True)) / len(val_rows)


TRAINED_LOSS_SHARE = 0.5  # a trained soft prompt's label loss, at most this share of the frozen model's


def _label_loss(model, tokenizer, val_questions, val_rows) -> float:
    """Mean negative log-probability of each validation question's right label."""
    labels = [" " + row["label"] for row in val_rows]
    return -completion_logprobs(model, tokenizer, val_questions, labels).mean().item()


@grader("01.easy")
def trainable_with_50_tokens(answer, **_):
    config = PromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=50)
    expected = count_params(real_config_path("bigscience/bloomz-560m"), config)[0]
    return expect_int(
        answer,
        expected,
        "the number of trainable parameters with 50 virtual tokens",
        hint="which numbers does prompt tuning train, and how many of them belong to one virtual token?",
    )


@grader("01.medium")
def validation_accuracy_of_both_inits(answer, classify_models, tokenizer, val_questions, val_rows, LABELS):  # noqa: N803
    if not isinstance(answer, dict) or sorted(answer) != sorted(classify_models):
        return f"Answer with a dict whose keys are {sorted(classify_models)}."
    for init, model in classify_models.items():
        expected = _validation_accuracy(model, tokenizer, val_questions, val_rows, LABELS)
        hint = expect_close(answer[init], expected, 1e-9, f"the validation likelihood accuracy of the {init} init")
        if hint is not None:
            return hint + " Score the validation questions, not the test ones."
    return None


@grader("01.hard")
def five_virtual_tokens(answer, tokenizer, val_questions, val_rows, LABELS, hidden):  # noqa: N803
    if not isinstance(answer, tuple) or len(answer) != 2:
        return "Answer with a pair: (the trained model, its validation accuracy)."
    model, accuracy = answer
    config = getattr(model, "active_peft_config", None)
    if config is None or not config.is_prompt_learning:
        return "The first item must be the prompt-tuning model (get_peft_model with a PromptTuningConfig)."
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    hint = expect_int(trainable, 5 * hidden, "a soft prompt of 5 virtual tokens (count its trainable parameters)")
    if config.num_virtual_tokens != 5 or hint is not None:
        return "That model does not have 5 virtual tokens."
    vectors = model.get_prompt_embedding_to_save(model.active_adapter).detach().float()
    vocab = model.get_input_embeddings().weight.detach().float()
    on_a_word = [bool((vocab == v).all(dim=-1).any()) for v in vectors]
    if all(on_a_word):
        return "Its vectors are still the initial word embeddings: train it with train_soft_prompt first."
    # Trained, whatever the initialisation: the right labels' validation loss fell well below the frozen model's
    # (an untrained soft prompt, random or from words, stays near it).
    loss = _label_loss(model, tokenizer, val_questions, val_rows)
    frozen = _label_loss(model.get_base_model(), tokenizer, val_questions, val_rows)
    if not loss < TRAINED_LOSS_SHARE * frozen:
        return (
            f"Its validation loss on the right labels is not below {TRAINED_LOSS_SHARE:.0%} of the frozen model's: "
            "train it with train_soft_prompt first."
        )
    if isinstance(accuracy, bool) or not isinstance(accuracy, numbers.Real) or math.isnan(accuracy):
        return "Give the accuracy as a number."
    with torch.no_grad():
        expected = _validation_accuracy(model, tokenizer, val_questions, val_rows, LABELS)
    return expect_close(accuracy, expected, 1e-9, "this model's likelihood accuracy on the validation questions")
