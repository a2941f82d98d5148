"""Notebook 03 on the tiny profile: really 4-bit, trains after an eval pass, reloads exactly, real figures exact."""

import json
from pathlib import Path

import pytest
import torch

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
    dtypes = metrics["reload_dtypes"]  # like is compared with like: both prepared for k-bit training
    assert dtypes["trained"] == dtypes["reloaded"] == ["float32"]


def test_adapter_holds_only_lora_and_names_the_model_it_was_trained_on(metrics):
    layers = json.loads((tiny_model_path("bloom") / "config.json").read_text())["n_layer"]
    assert metrics["adapter_tensors"] == 2 * layers  # lora_A and lora_B of each query_key_value
    assert metrics["adapter_non_lora_tensors"] == 0  # no embeddings
    assert metrics["adapter_base_model"] == str(tiny_model_path("bloom"))  # not data/configs/bloom-7b1


def test_budget_is_the_free_gpu_memory_or_a_t4s_usable_memory(metrics):
    budget = metrics["budget"]
    if torch.cuda.is_available():
        assert budget["source"] == "cuda_free_memory" and 0 < budget["bytes"] <= torch.cuda.mem_get_info()[1]
    else:
        assert budget == {"bytes": 15_300_000_000, "source": "BUDGET_GB"}
    for estimate in metrics["real_model_estimates"].values():
        assert estimate["fits_budget"] is (estimate["total_bytes"] <= budget["bytes"])


def test_real_bloom_7b_figures(metrics):
    assert metrics["real_model_trainable_params"] == 30 * 16 * (4096 + 3 * 4096)  # r=16 on query_key_value
    assert metrics["real_model_params"] == 7_069_016_064
    estimates = metrics["real_model_estimates"]
    assert estimates["qlora"]["total_bytes"] <= 15.3e9 < estimates["full"]["total_bytes"]  # QLoRA fits a T4
    assert estimates["qlora"]["total_bytes"] < estimates["lora"]["total_bytes"] < estimates["full"]["total_bytes"]


def test_peak_and_estimate_for_this_run_are_recorded(metrics):
    peak, estimate = metrics["peak_memory_training"], metrics["estimate_for_this_run"]
    assert peak["peak_bytes"] > 0 and peak["method"]
    assert estimate["total_bytes"] > 0 and estimate["method"] == "qlora"
    assert estimate["trainable_params"] == metrics["trainable_params"]
