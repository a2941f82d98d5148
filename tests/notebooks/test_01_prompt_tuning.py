"""Notebook 01 on the tiny profile: soft prompts train, switch, classify, and leave the base untouched."""

import math
from pathlib import Path

import pytest
from peft import PromptTuningConfig, TaskType

from course_utils.data import load_course_dataset
from course_utils.params import count_params
from course_utils.paths import real_config_path

NAME = "01_prompt_tuning"


def test_trainable_is_virtual_tokens_times_hidden(metrics):
    assert metrics["trainable_params"] == metrics["num_virtual_tokens"] * metrics["hidden_size"]
    assert metrics["total_params"] == metrics["base_params"] + metrics["trainable_params"]
    config = PromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=metrics["num_virtual_tokens"])
    real = count_params(real_config_path("bigscience/bloomz-560m"), config)
    assert (metrics["real_model_trainable_params"], metrics["real_model_total_params"]) == real
    assert real == (metrics["num_virtual_tokens"] * 1024, 559_214_592 + metrics["num_virtual_tokens"] * 1024)


def test_both_generation_losses_fall_clearly(metrics):
    for task in ("act_as", "quotes"):
        assert metrics[f"loss_last_{task}"] < 0.7 * metrics[f"loss_first_{task}"], task


def test_two_soft_prompts_give_different_outputs_for_the_same_input(metrics):
    assert metrics["soft_prompts_differ"] is True
    assert metrics["switch_outputs"]["act_as"] != metrics["switch_outputs"]["quotes"]
    out = Path(metrics["_output_dir"])
    for name in ("act_as", "quotes", "classify_text", "classify_random"):
        assert (out / f"soft_prompt_{name}" / "adapter_model.safetensors").is_file()


def test_classification_beats_before_and_the_majority_baseline(metrics):
    labels = load_course_dataset("complaints")["test"]["label"]
    assert metrics["majority_baseline"] == max(labels.count(v) for v in set(labels)) / len(labels)
    assert metrics["accuracy_after"] > metrics["accuracy_before"]
    assert metrics["accuracy_after"] >= metrics["majority_baseline"] + 0.1
    assert metrics["classify"]["text"]["likelihood_accuracy"] > metrics["likelihood_accuracy_before"]
    for init in ("text", "random"):
        assert metrics["classify"][init]["loss_last"] < metrics["classify"][init]["loss_first"]


def _wilson(correct, n, z=1.96):
    """Wilson score interval, written out independently of the notebook."""
    p = correct / n
    denominator = 1 + z * z / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return [(centre - spread) / denominator, (centre + spread) / denominator]


def test_accuracies_come_with_95_percent_intervals_on_the_whole_test_split(metrics):
    n = metrics["n_test"]
    assert n == len(load_course_dataset("complaints")["test"])  # N_TEST=None: every test text is scored
    for name in ("accuracy_before", "accuracy_after", "majority_baseline"):
        low, high = metrics[f"{name}_ci95"]
        assert low <= metrics[name] <= high, name
        assert [low, high] == pytest.approx(_wilson(round(metrics[name] * n), n), abs=1e-12), name
        assert 0.03 < high - low < 0.15, name  # a few hundred examples: a few points either way
    assert metrics["classify"]["text"]["ci95"] == metrics["accuracy_after_ci95"]
    assert metrics["accuracy_after_ci95"][0] > metrics["majority_baseline"]  # the gain is beyond the sampling noise
    for shot in metrics["prompting"].values():
        assert shot["ci95"] == pytest.approx(_wilson(round(shot["accuracy"] * shot["n"]), shot["n"]), abs=1e-12)


def test_prompting_comparison_is_measured(metrics):
    zero, few = metrics["prompting"]["zero_shot"], metrics["prompting"]["few_shot"]
    assert few["tokens_per_prompt"] > 2 * zero["tokens_per_prompt"]  # examples cost context
    assert 0 <= zero["accuracy"] <= 1 and 0 <= few["accuracy"] <= 1


def test_base_untouched_size_and_nearest_tokens(metrics):
    assert metrics["base_weights_unchanged"] is True
    vectors = metrics["num_virtual_tokens"] * metrics["hidden_size"] * 4
    assert vectors < metrics["soft_prompt_bytes"] < vectors + 20_000  # vectors plus a small config
    assert metrics["base_bytes"] > 100 * metrics["soft_prompt_bytes"]
    assert len(metrics["nearest_tokens"]) == metrics["num_virtual_tokens"]
    assert all(len(row) == 3 and all(isinstance(t, str) for t in row) for row in metrics["nearest_tokens"])
