"""Graders for notebook 04's exercises (see course_utils.exercises)."""

from __future__ import annotations

from course_utils import metrics as M
from course_utils.exercises import expect_close, grader

ATTENTION_PROJECTIONS = ("q", "k", "v", "o")  # T5's names for query, key, value and output


@grader("04.easy")
def clipped_rouge1_precision(answer, REF):
    expected = M.rouge_n(REF, "cold outside cold outside cold", 1)["precision"]
    return expect_close(answer, expected, 1e-6, "the ROUGE-1 precision")


@grader("04.medium")
def brevity_penalty_6_vs_9(answer):
    return expect_close(answer, M.brevity_penalty(6, 9), 1e-6, "the brevity penalty")


@grader("04.hard")
def full_over_lora_on_every_projection(answer, results, model, LORA_R):
    """Full fine-tuning's trainable count over LoRA's with r = LORA_R on q, k, v and o."""
    lora = sum(
        LORA_R * (module.in_features + module.out_features)
        for name, module in model.named_modules()
        if name.split(".")[-1] in ATTENTION_PROJECTIONS
    )
    if not lora:
        return "`model` has no q, k, v or o layers: keep the notebook's model of section 5 as `model`."
    expected = results["full"]["trainable_params"] / lora
    return expect_close(answer, expected, 1e-3, "how many times fewer parameters LoRA on q, k, v, o trains")
