"""Notebook 03 on the tiny profile: really 4-bit, trains after an eval pass, reloads exactly, real figures exact."""

import json
from pathlib import Path

import pytest
import torch

from course_utils.memory import nf4_bytes_per_param
from course_utils.tiny import tiny_model_path

NAME = "03_qlora_bloom_7b"
BLOOM_7B1 = {"hidden": 4096, "layers": 30, "vocab": 250_880, "params": 7_069_016_064}


@pytest.fixture(scope="module")
def config():
    return json.loads((tiny_model_path("bloom") / "config.json").read_text())


def test_bytes_per_param_and_quantization_errors(metrics):
    assert metrics["bytes_per_param"] == {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1, "nf4": nf4_bytes_per_param(True)}
    assert metrics["real_model_weights_bytes"]["fp32"] == 4 * BLOOM_7B1["params"]  # 28.3 GB, in GB like the budget
    err = metrics["quantization_error"]
    assert err["int8_blocks_of_64"] < err["int8_absmax"] and err["int4_blocks_of_64"] < err["int4_absmax"]
    assert err["int8_blocks_of_64"] < err["int4_blocks_of_64"]
    assert err["bitsandbytes_nf4"] < err["int4_absmax"] and err["bitsandbytes_8bit_blockwise"] < err["bitsandbytes_nf4"]


def test_the_notebook_builds_the_4bit_config_itself(metrics):
    expected_compute = "float32" if not torch.cuda.is_available() else metrics["bnb_config"]["compute_dtype"]
    assert metrics["bnb_config"] == {"quant_type": "nf4", "double_quant": True, "compute_dtype": expected_compute}


def test_model_really_is_4bit(metrics, config):
    hidden, layers, vocab = config["hidden_size"], config["n_layer"], config["vocab_size"]
    assert metrics["linear4bit_modules"] == 4 * layers  # query_key_value, dense, dense_h_to_4h, dense_4h_to_h
    assert metrics["plain_linear_modules"] == 1  # the output head
    linear = layers * (3 * hidden * hidden + hidden * hidden + 8 * hidden * hidden)
    assert metrics["quantized_weights"] == linear
    assert metrics["footprint_fp32"] == 4 * metrics["total_params"]
    # parameters and buffers only: 4-bit weights packed two per byte, the rest in float32
    assert metrics["footprint_4bit"] == pytest.approx((metrics["total_params"] - linear) * 4 + linear * 0.5, rel=0.01)
    assert metrics["footprint_fp32"] / metrics["footprint_4bit"] > 2.5
    assert vocab * hidden * 4 < metrics["footprint_4bit"]  # the embedding stays in full precision
    # block scales with double quantization: one byte per 64 weights, plus a float32 per 256 scales
    assert metrics["scale_bytes_double_quant"] == pytest.approx(linear * (1 / 64 + 4 / (64 * 256)), rel=0.02)


def test_without_the_input_hook_reentrant_checkpointing_leaves_lora_out_of_the_graph(metrics, config):
    probe = metrics["input_grad_probe"]
    assert probe["without_hook_requires_grad"] is False and probe["with_hook_requires_grad"] is True
    assert probe["lora_tensors"] == 2 * config["n_layer"] == probe["lora_tensors_with_grad"]
    assert probe["lora_tensors_nonzero_grad"] == config["n_layer"]  # lora_B only: B starts at zero, so A's is zero


def test_training_lowers_the_validation_loss(metrics):
    assert metrics["val_loss_after"] < 0.6 * metrics["val_loss_before"]
    assert metrics["train_loss_last"] < metrics["train_loss_first"]
    assert metrics["optimizer"] in ("adamw_torch", "paged_adamw_8bit")
    assert (Path(metrics["_output_dir"]) / "loss_curves.png").is_file()


def test_adapter_saved_and_reloaded_exactly(metrics):
    assert (Path(metrics["_output_dir"]) / "qlora_adapter" / "adapter_model.safetensors").is_file()
    assert 0 < metrics["adapter_bytes"] < metrics["footprint_4bit"]
    assert metrics["reload_max_abs_diff"] < 1e-5 and metrics["reload_same_generations"] is True
    dtypes = metrics["reload_dtypes"]  # like is compared with like: both prepared for k-bit training
    assert dtypes["trained"] == dtypes["reloaded"] == ["float32"]
    assert dtypes["fresh_base"] == ["float32"]  # the prose: a float32 tiny checkpoint, the check shows nothing here


def test_generations_learn_the_format_not_the_role(metrics):
    # what the prose states for the tiny profile
    shares = metrics["generation_shares"]
    assert metrics["target_opening"].startswith("I want you to act")
    assert shares["before"]["format"] == 0.0 and shares["after"]["format"] == 1.0
    assert shares["after"]["own_role"] == 0.0


def test_adapter_holds_only_lora_and_names_the_model_it_was_trained_on(metrics, config):
    assert metrics["adapter_tensors"] == 2 * config["n_layer"]  # lora_A and lora_B of each query_key_value
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
    assert metrics["real_model_params"] == BLOOM_7B1["params"]
    embedding = BLOOM_7B1["vocab"] * BLOOM_7B1["hidden"]
    assert metrics["embedding_params"] == embedding == 1_027_604_480
    assert metrics["embedding_fp32_bytes"] == 4 * embedding and metrics["embedding_fp16_bytes"] == 2 * embedding


def test_real_bloom_7b_estimates_compare_like_with_like(metrics):
    est = {key: e["total_bytes"] for key, e in metrics["real_model_estimates"].items()}
    assert set(est) == {"full_fp32", "lora_fp16", "lora_fp16_ckpt", "qlora", "qlora_ckpt", "qlora_lean_ckpt"}
    assert est["qlora_ckpt"] < est["qlora"] < est["lora_fp16"] < est["full_fp32"]
    assert est["qlora_ckpt"] < est["lora_fp16_ckpt"] < est["lora_fp16"]
    if not torch.cuda.is_available():  # against a T4's 15.3 GB, at 512 tokens: 4 bits decide, not checkpointing
        assert est["qlora_ckpt"] <= 15.3e9 and est["qlora"] <= 15.3e9
        assert est["lora_fp16_ckpt"] > 15.3e9 and est["lora_fp16"] > 15.3e9 and est["full_fp32"] > 15.3e9
    savings = metrics["estimate_savings"]
    assert savings["4bit_with_ckpt"] == est["lora_fp16_ckpt"] - est["qlora_ckpt"] > 5e9  # weights: ~7 GB
    assert savings["ckpt_qlora"] == est["qlora"] - est["qlora_ckpt"] > 1e9  # activations
    qlora = metrics["real_model_estimates"]["qlora_ckpt"]
    # the float32 embedding is most of the weights QLoRA keeps unquantized, and about half of all its weights
    assert metrics["embedding_fp32_bytes"] < qlora["weights_unquantized_bytes"] < 1.05 * metrics["embedding_fp32_bytes"]
    assert 0.5 < metrics["embedding_fp32_bytes"] / qlora["weights_bytes"] < 0.6


def test_peak_and_estimate_for_this_run_are_recorded(metrics):
    peak, estimate = metrics["peak_memory_training"], metrics["estimate_for_this_run"]
    assert peak["peak_bytes"] > 0 and peak["method"]
    assert estimate["total_bytes"] > 0 and estimate["method"] == "qlora"
    assert estimate["trainable_params"] == metrics["trainable_params"]
    # like with like: what training adds (all but the weights) against the measured rise above the baseline
    assert metrics["estimated_rise_bytes"] == estimate["total_bytes"] - estimate["weights_bytes"] > 0
    assert peak["delta_bytes"] == max(0, peak["peak_bytes"] - peak["baseline_bytes"])


def test_training_writes_checkpoints_a_rerun_resumes_from(metrics):
    from course_utils.profiles import tiny_parameters

    steps = tiny_parameters(NAME)["MAX_STEPS"]
    assert metrics["resumed_from"] is None  # a course run starts from scratch
    kept = sorted(
        (Path(metrics["_output_dir"]) / "trainer").glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1])
    )
    assert [p.name for p in kept] == [f"checkpoint-{3 * steps // 4}", f"checkpoint-{steps}"]  # the last two quarters
    for checkpoint in kept:  # what resuming needs: the adapter, the optimizer and the random state
        for name in ("adapter_model.safetensors", "optimizer.pt", "rng_state.pth", "trainer_state.json"):
            assert (checkpoint / name).is_file(), (checkpoint.name, name)


LEAN_VAL_LOSS_TOLERANCE = 0.05  # relative: the two recipes' validation losses after the same steps


def test_the_lean_recipe_trains_as_well_as_the_stock_one_in_the_same_steps(metrics):
    lean = metrics["lean"]
    from course_utils.profiles import tiny_parameters

    assert lean["steps"]["lean"] == lean["steps"]["stock"] == tiny_parameters(NAME)["MAX_STEPS"]
    assert lean["val_loss"]["stock"] == metrics["val_loss_after"]
    assert lean["val_loss_gap"] == pytest.approx(
        abs(lean["val_loss"]["lean"] - lean["val_loss"]["stock"]) / lean["val_loss"]["stock"]
    )
    assert lean["val_loss_gap"] <= LEAN_VAL_LOSS_TOLERANCE
    assert lean["val_loss"]["lean"] < 0.6 * metrics["val_loss_before"]
    assert lean["resumed_from"] is None
    out = Path(metrics["_output_dir"])
    assert (out / "qlora_lean_adapter" / "adapter_model.safetensors").is_file()
    assert (out / "trainer_lean" / f"checkpoint-{lean['steps']['lean']}" / "optimizer.pt").is_file()
    assert (out / "loss_curves_stock_vs_lean.png").is_file()


def test_the_lean_recipe_keeps_in_16_bits_what_the_stock_one_casts_to_float32(metrics, config):
    from course_utils.models import cpu_has_fast_bf16

    lean = metrics["lean"]
    h, layers, vocab = config["hidden_size"], config["n_layer"], config["vocab_size"]
    expected = "bfloat16" if cpu_has_fast_bf16() else "float32"
    assert torch.cuda.is_available() or lean["dtype"] == expected
    rest = vocab * h + layers * 9 * h  # the embedding (the head too) and the biases: 3h + h + 4h + h per block
    norms = (2 * layers + 2) * 2 * h  # two per block, one after the embedding, one at the end: weight and bias
    lora = metrics["trainable_params"]
    assert lean["trainable_params"] == lora and lean["lora_dtypes"] == ["float32"]
    stock, mine = lean["bytes_by_storage"]["stock"], lean["bytes_by_storage"]["lean"]
    assert stock["4-bit"] == mine["4-bit"]
    assert stock["float32"] == 4 * (rest + norms + lora)
    if lean["dtype"] == "float32":  # no fast bfloat16: the same bytes, as the notebook says
        assert mine == stock
    else:
        assert mine[lean["dtype"]] == 2 * rest and mine["float32"] == 4 * (norms + lora)
        assert lean["footprint"]["stock"] - lean["footprint"]["lean"] == 2 * rest
        assert lean["estimate"]["lean"]["weights_bytes"] < lean["estimate"]["stock"]["weights_bytes"]
    assert lean["estimate"]["lean"]["method"] == "qlora_lean" and lean["estimate"]["stock"]["method"] == "qlora"
    for recipe in ("stock", "lean"):  # both peaks measured and both estimated
        assert lean["rise"][recipe] >= 0 and lean["estimate"][recipe]["total_bytes"] > 0
    # Bloom-7B on a T4, float16: the lean recipe saves at least the embedding's second half
    real = lean["real_model_estimate"]
    assert real["stock"] - real["lean"] > BLOOM_7B1["vocab"] * BLOOM_7B1["hidden"] * 2
    assert real["stock"] == metrics["real_model_estimates"]["qlora_ckpt"]["total_bytes"]
