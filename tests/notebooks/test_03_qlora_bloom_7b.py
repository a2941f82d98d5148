"""Notebook 03 on the tiny profile: really 4-bit, trains after an eval pass, reloads exactly, real figures exact."""

import json
from pathlib import Path

import pytest

from course_utils.memory import nf4_bytes_per_param
from course_utils.tiny import tiny_model_path

NAME = "03_qlora_bloom_7b"


@pytest.fixture(scope="module")
def config():
    return json.loads((tiny_model_path("bloom") / "config.json").read_text())


def test_bytes_per_param_and_quantization_errors(metrics):
    assert metrics["bytes_per_param"] == {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1, "nf4": nf4_bytes_per_param(True)}
    err = metrics["quantization_error"]
    assert err["int8_blocks_of_64"] < err["int8_absmax"] and err["int4_blocks_of_64"] < err["int4_absmax"]
    assert err["int8_blocks_of_64"] < err["int4_blocks_of_64"]
    assert err["bitsandbytes_nf4"] < err["int4_absmax"] and err["bitsandbytes_8bit_blockwise"] < err["bitsandbytes_nf4"]


def test_model_really_is_4bit(metrics, config):
    hidden, layers, vocab = config["hidden_size"], config["n_layer"], config["vocab_size"]
    assert metrics["linear4bit_modules"] == 4 * layers  # query_key_value, dense, dense_h_to_4h, dense_4h_to_h
    assert metrics["plain_linear_modules"] == 1  # the output head
    linear = layers * (3 * hidden * hidden + hidden * hidden + 8 * hidden * hidden)
    assert metrics["footprint_fp32"] == 4 * metrics["total_params"]
    expected_4bit = (metrics["total_params"] - linear) * 4 + linear * 0.5
    assert metrics["footprint_4bit"] == pytest.approx(expected_4bit, rel=0.05)  # + block scales
    assert metrics["footprint_fp32"] / metrics["footprint_4bit"] > 2.5
    assert vocab * hidden * 4 < metrics["footprint_4bit"]  # the embedding stays in full precision


def test_training_after_a_generation_pass_lowers_the_loss(metrics):
    assert metrics["loss_last"] < 0.6 * metrics["loss_first"]
    assert metrics["optimizer"] in ("adamw_torch", "paged_adamw_8bit")


def test_adapter_saved_and_reloaded_exactly(metrics):
    assert (Path(metrics["_output_dir"]) / "qlora_adapter" / "adapter_model.safetensors").is_file()
    assert 0 < metrics["adapter_bytes"] < metrics["footprint_4bit"]
    assert metrics["reload_max_abs_diff"] < 1e-5 and metrics["reload_same_generations"] is True


def test_real_bloom_7b_figures(metrics):
    assert metrics["real_model_trainable_params"] == 30 * 16 * (4096 + 3 * 4096)  # r=16 on query_key_value
    assert metrics["real_model_params"] == 7_069_016_064
    estimates = metrics["real_model_estimates"]
    assert estimates["full"]["fits_budget"] is False and estimates["qlora"]["fits_budget"] is True
    assert estimates["qlora"]["total_bytes"] < estimates["lora"]["total_bytes"] < estimates["full"]["total_bytes"]


def test_peak_and_estimate_for_this_run_are_recorded(metrics):
    peak, estimate = metrics["peak_memory_training"], metrics["estimate_for_this_run"]
    assert peak["peak_bytes"] > 0 and peak["method"]
    assert estimate["total_bytes"] > 0 and estimate["method"] == "qlora"
    assert estimate["trainable_params"] == metrics["trainable_params"]
