"""Graders for notebook 06's exercises (see course_utils.exercises)."""

from __future__ import annotations

import torch

from course_utils.chat import chat_prompt
from course_utils.exercises import expect_int, grader
from course_utils.params import model_on_meta

TWO_TURNS = [
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello!"},
    {"role": "user", "content": "Topic of: Music is the key to the morning."},
]


@grader("06.easy")
def tokens_added_by_the_template(answer, tokenizer):
    expected = len(tokenizer(chat_prompt(tokenizer, "Hello"))["input_ids"]) - len(tokenizer("Hello")["input_ids"])
    return expect_int(answer, expected, "the number of tokens the chat template adds")


@grader("06.medium")
def lora_on_every_linear_layer(answer, output_dir, LORA_R):
    """r * (d_in + d_out) for every Linear layer of the blocks (peft's "all-linear" leaves the output layer out)."""
    model = model_on_meta(output_dir / "instruct_model")  # shapes only: no weights are read
    output_layer = model.get_output_embeddings()
    expected = sum(
        LORA_R * (m.in_features + m.out_features)
        for m in model.modules()
        if isinstance(m, torch.nn.Linear) and m is not output_layer
    )
    return expect_int(answer, expected, 'the number of parameters LoRA trains with target_modules="all-linear"')


@grader("06.hard")
def two_turns_by_hand(answer, tokenizer):
    if not isinstance(answer, str):
        return f"Give the text as a string, not {type(answer).__name__}."
    expected = tokenizer.apply_chat_template(TWO_TURNS, tokenize=False, add_generation_prompt=True)
    if answer == expected:
        return None
    pairs = zip(answer, expected, strict=False)  # stops at the shorter text
    same = next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(answer), len(expected)))
    return (
        f"The first {same} characters match, then the texts differ: compare that point with the template "
        "(markers, line breaks, a default system message, the opened assistant turn)."
    )
