"""Graders for notebook 03's exercises (see course_utils.exercises)."""

from __future__ import annotations

import torch

from course_utils.exercises import expect_close, expect_int, grader
from course_utils.memory import nf4_bytes_per_param


@grader("03.easy")
def thirteen_billion_in_nf4(answer):
    expected = 13e9 * nf4_bytes_per_param(double_quant=True) / 1e9
    hint = expect_close(answer, expected, 1e-3, "the size in GB")
    if hint and isinstance(answer, float) and abs(answer - 13e9 * 0.5 / 1e9) < 1e-6:
        return "Half a byte per weight is not all: each block of 64 weights also stores a scale."
    return hint


def _absmax_blocks(x: torch.Tensor, bits: int, block: int) -> torch.Tensor:
    levels = 2 ** (bits - 1) - 1
    groups = x.reshape(-1, block)
    scale = groups.abs().amax(dim=1, keepdim=True) / levels
    return (torch.round(groups / scale).clamp(-levels, levels) * scale).reshape(x.shape)


@grader("03.medium")
def int4_error_with_blocks_of_16(answer, weights):
    expected = (weights - _absmax_blocks(weights, 4, 16)).abs().mean().item()
    return expect_close(answer, expected, 1e-4, "the mean absolute error of 4-bit absmax in blocks of 16")


def _linear4bit_states(model) -> list:
    from bitsandbytes.nn import Linear4bit

    return [m.weight.quant_state for m in model.modules() if isinstance(m, Linear4bit)]


@grader("03.hard")
def scale_bytes_without_double_quant(answer, quantized_weights):
    if not isinstance(answer, tuple) or len(answer) != 2:
        return "Answer with a pair: (the model loaded without double quantization, its scale bytes)."
    model, scale_bytes = answer
    states = _linear4bit_states(model) if isinstance(model, torch.nn.Module) else []
    if not states:
        return "The first item must be the model loaded in 4 bits with your BitsAndBytesConfig."
    if sum(s.shape.numel() for s in states) != quantized_weights:
        return "That model does not hold the same 4-bit weights as section 3's: load MODEL_NAME."
    if any(s.nested for s in states):
        return "That model was loaded with double quantization: set bnb_4bit_use_double_quant=False."
    measured = sum(s.absmax.numel() * s.absmax.element_size() for s in states)
    return expect_int(
        scale_bytes, measured, "the bytes of that model's block scales", hint="add up every Linear4bit's absmax."
    )
