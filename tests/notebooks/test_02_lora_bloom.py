"""Notebook 02 on the tiny profile: LoRA math, training, save/reload/merge, adapters, rank sweep."""

import json
from pathlib import Path

import pytest
from peft import LoraConfig, TaskType

from course_utils.params import count_params
from course_utils.paths import real_config_path
from course_utils.profiles import tiny_parameters
from course_utils.tiny import tiny_model_path

NAME = "02_lora_bloom"


def test_lora_math_is_exact_and_counted_before_merging(metrics):
    math = metrics["lora_math"]
    assert (math["trainable"], math["full"]) == (4_608, 32_768)
    assert round(100 * math["reduction"]) == 86
    assert math["layer_trainable"] == 4_608  # the wrapped layer's count, taken before merge_and_unload
    assert math["layer_formula_max_abs_diff"] < 1e-5 and math["layer_merge_max_abs_diff"] < 1e-4


def test_trainable_counts_for_this_model_and_the_real_bloomz(metrics):
    config = json.loads((tiny_model_path("bloom") / "config.json").read_text())
    hidden, layers = config["hidden_size"], config["n_layer"]
    assert metrics["trainable_params"] == layers * 8 * (hidden + 3 * hidden)
    assert metrics["total_params"] == metrics["base_params"] + metrics["trainable_params"]
    lora = LoraConfig(r=8, target_modules=["query_key_value"], task_type=TaskType.CAUSAL_LM)
    expected = count_params(real_config_path("bigscience/bloomz-560m"), lora)
    assert (metrics["real_model_trainable_params"], metrics["real_model_total_params"]) == expected
    assert expected[0] == 24 * 8 * (1024 + 3 * 1024)


def test_losses_fall_on_training_and_validation(metrics):
    assert metrics["loss_last"] < 0.6 * metrics["loss_first"]
    assert metrics["loss_last_b"] < 0.6 * metrics["loss_first_b"]
    assert metrics["val_loss_a"] < metrics["loss_first"]
    # the held-out roles' validation examples: the adapter beats the base by a wide margin
    assert metrics["held_out_val_loss_after"] < 0.6 * metrics["held_out_val_loss_before"]


def test_generations_learn_the_format_but_not_the_held_out_roles(metrics):
    # What the notebook's prose states for the tiny profile.
    assert metrics["target_opening"].startswith("I want you to act")
    assert metrics["format_share_before"] == 0.0 and metrics["format_share_after"] >= 0.75
    assert metrics["role_share_before"] == 0.0 and metrics["role_share_after"] == 0.0
    assert metrics["base_copies_role_share"] == 0.0
    assert len(metrics["generations"]["topics"]) == 8


def test_save_reload_merge(metrics):
    out = Path(metrics["_output_dir"])
    assert (out / "adapter_act_as" / "adapter_model.safetensors").is_file()
    assert (out / "adapters" / "quotes" / "adapter_model.safetensors").is_file()
    assert 0 < metrics["adapter_bytes"] < metrics["base_bytes"] / 10
    assert metrics["reload_max_abs_diff"] == 0.0
    assert metrics["merge_max_abs_diff"] < 1e-4
    for png in ("loss_curve.png", "loss_curves.png", "rank_sweep.png"):
        assert (out / png).is_file()


def test_two_adapters_switch_and_disabled_is_the_base(metrics):
    assert metrics["adapters_switch_outputs"] is True
    outputs = metrics["switch_outputs"]
    assert outputs["default"] != outputs["quotes"] != outputs["disabled"]
    assert metrics["disabled_equals_base"] is True
    # measured, not only "different": each adapter gives its own task the lower validation loss
    losses = metrics["val_loss_by_adapter"]
    assert metrics["adapters_own_task_lowest"] is True
    assert losses["default"]["act_as"] < losses["quotes"]["act_as"]
    assert losses["quotes"]["quotes"] < losses["default"]["quotes"]
    assert losses["default"]["act_as"] == pytest.approx(metrics["val_loss_a"], rel=1e-4)  # the same loss as the curve
    assert losses["quotes"]["quotes"] == pytest.approx(metrics["val_loss_b"], rel=1e-4)


def test_held_out_loss_is_computed_without_a_stray_table_or_bar(metrics):
    executed = json.loads((Path(metrics["_output_dir"]) / f"{NAME}.ipynb").read_text())
    cells = {cell.get("id"): cell for cell in executed["cells"]}
    html = [o for o in cells["cell-15c"]["outputs"] if "text/html" in o.get("data", {})]
    assert html == []  # the evaluation-only Trainer prints nothing: no "Out Loss" table, no progress bar
    training = [o for o in cells["cell-15"]["outputs"] if "text/html" in o.get("data", {})]
    assert len(training) == 1  # the training table alone


def test_rank_sweep_on_validation_with_fixed_alpha_and_rslora(metrics):
    ranks = tiny_parameters(NAME)["SWEEP_RANKS"]
    sweep = metrics["rank_sweep"]
    assert [s["r"] for s in sweep] == ranks
    per_rank = metrics["trainable_params"] // 8
    assert [s["trainable"] for s in sweep] == [r * per_rank for r in ranks]
    assert sweep[0]["r"] == 1 and abs(sweep[0]["val_loss"] - sweep[0]["val_loss_rslora"]) < 1e-6
    # the rule: smallest rank within the tolerance of the best validation loss
    for key, chosen in (("val_loss", "suggested_r"), ("val_loss_rslora", "suggested_r_rslora")):
        best = min(s[key] for s in sweep)
        assert metrics[chosen] == min(s["r"] for s in sweep if s[key] <= (1 + metrics["sweep_tolerance"]) * best)
    # what the prose states for this run: rsLoRA lower at the larger ranks, the loss still falling at the top
    assert all(s["val_loss_rslora"] < s["val_loss"] for s in sweep[1:])
    assert metrics["suggested_r"] == metrics["suggested_r_rslora"] == max(ranks)
