"""Notebook 00 on the tiny profile: it finds the machine, loads in 4 bits, recommends a profile."""

import json
from pathlib import Path

import torch
import transformers
from bitsandbytes.nn import Linear4bit

from course_utils.models import (
    ModelNotAvailableError,
    check_model_available,
    load_model_and_tokenizer,
    native_bf16,
    recommend_profile,
)
from course_utils.tiny import tiny_model_path

NAME = "00_environment_check"


def test_versions_and_hardware_are_the_ones_running(metrics):
    assert metrics["versions"]["torch"] == torch.__version__
    assert metrics["versions"]["transformers"] == transformers.__version__
    assert metrics["hardware"]["device"] == ("cuda" if torch.cuda.is_available() else "cpu")
    assert metrics["hub_reachable"] is False  # the tests run offline
    assert metrics["hardware"]["bf16_supported"] is native_bf16()  # hardware bfloat16 only, not emulation
    if torch.cuda.is_available():
        assert metrics["hardware"]["gpu_total_bytes"] == torch.cuda.get_device_properties(0).total_memory
    else:
        assert metrics["hardware"]["gpu_total_bytes"] is None and metrics["hardware"]["bf16_supported"] is False


def test_model_counts_and_footprint_are_exact(metrics):
    manifest = json.loads((tiny_model_path("bloom") / "manifest.json").read_text())
    assert metrics["total_params"] == metrics["trainable_params"] == manifest["params"]
    model, _ = load_model_and_tokenizer(tiny_model_path("bloom"))
    buffers = sum(b.numel() * b.element_size() for b in model.buffers())
    assert metrics["footprint_fp32"] == 4 * manifest["params"] + buffers


def test_four_bit_loading_works_and_quantizes_every_linear_but_the_head(metrics):
    assert metrics["four_bit_ok"] is True and metrics["four_bit_error"] is None
    q4, _ = load_model_and_tokenizer(tiny_model_path("bloom"), quantization="4bit")
    assert metrics["linear4bit_modules"] == sum(isinstance(m, Linear4bit) for m in q4.modules())
    assert metrics["linear4bit_modules"] == metrics["linear_layers"] - 1  # lm_head stays
    assert metrics["footprint_fp32"] / metrics["footprint_4bit"] > 3


def test_generation_continues_the_prompt_and_profile_is_tiny_offline(metrics):
    assert metrics["generation"].startswith("I want you to act as a")
    assert len(metrics["generation"]) > len("I want you to act as a") + 10
    # Offline with a local tiny model, the real models are out of reach, whatever the GPU.
    assert metrics["recommended_profile"] == recommend_profile(metrics["hardware"]["gpu_total_bytes"], False) == "tiny"
    assert (Path(metrics["_output_dir"]) / f"{NAME}.ipynb").is_file()


def test_a_hub_id_is_tried_and_fails_at_once_offline(metrics):
    try:
        check_model_available("bigscience/bloomz-560m")
        expected = None  # cached on this machine: nothing to fail
    except ModelNotAvailableError as err:
        expected = str(err)
    assert metrics["hub_example_error"] == expected
