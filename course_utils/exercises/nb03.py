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


@grader("03.hard")
def scale_bytes_without_double_quant(answer, quantized_weights):
    expected = quantized_weights // 64 * 4  # one float32 absmax per block of 64 weights
    return expect_int(answer, expected, "the bytes of the block scales without double quantization")
