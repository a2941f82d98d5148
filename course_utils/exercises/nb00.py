"""Graders for notebook 00's exercises (see course_utils.exercises)."""

from __future__ import annotations

import torch

from course_utils.exercises import expect_int, grader


@grader("00.easy")
def float16_bytes(answer, total):
    return expect_int(answer, 2 * total, "the number of bytes in float16")


@grader("00.medium")
def linear_layers_per_block(answer, model):
    block = model.transformer.h[0]
    return expect_int(answer, sum(isinstance(m, torch.nn.Linear) for m in block.modules()), "the count")


@grader("00.hard")
def eight_bit_footprint(answer, MODEL_NAME):  # noqa: N803 (the notebook's parameter name)
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    from course_utils.memory import model_footprint

    model = AutoModelForCausalLM.from_pretrained(
        MODEL_NAME,
        quantization_config=BitsAndBytesConfig(load_in_8bit=True),
        device_map="auto" if torch.cuda.is_available() else "cpu",
    )
    return expect_int(answer, model_footprint(model), "the 8-bit footprint in bytes")
