"""Notebook 05 on the tiny profile: four ways to classify, all beating the majority, exact counts."""

import json
from pathlib import Path

import pytest
from sklearn.metrics import accuracy_score

from course_utils.classify import weights_sha256
from course_utils.data import load_course_dataset
from course_utils.models import load_model_and_tokenizer
from course_utils.profiles import tiny_parameters

NAME = "05_classification"
METHODS = ("features", "head_only", "full", "lora")


def test_every_method_beats_the_majority_baseline(metrics):
    majority = metrics["majority_baseline"]["accuracy"]
    assert 0.4 < majority < 0.6  # the complaint set is balanced
    for method in METHODS:
        assert metrics[method]["accuracy"] >= majority + 0.1, method
        assert metrics[method]["f1"] > metrics["majority_baseline"]["f1"], method
        assert metrics[method]["train_seconds"] > 0 and metrics[method]["peak_memory"] >= 0
    assert metrics["full"]["accuracy"] > metrics["head_only"]["accuracy"]
    assert metrics["reading"]["every_method_beats_majority"] is True


def test_the_methods_separate_on_a_task_below_the_ceiling(metrics):
    f1 = {method: metrics[method]["f1"] for method in METHODS}
    assert max(f1.values()) < 0.99  # no ceiling: fewer training examples, test phrasings unseen in training
    assert max(f1.values()) - min(f1.values()) >= 0.1
    assert abs(f1["full"] - f1["lora"]) >= 0.02
    assert metrics["reading"]["full_minus_lora_f1_points"] == pytest.approx(100 * (f1["full"] - f1["lora"]))
    assert metrics["n_train"] == 48 and metrics["n_val"] == 200


def test_the_method_is_chosen_on_validation_and_compared_with_the_test(metrics):
    def key(method):
        return metrics[method]["val_f1"], -metrics[method]["trainable_params"]

    assert metrics["best_method"] == max(METHODS, key=key)
    reading = metrics["reading"]
    assert reading["chosen_on_validation"] == metrics["best_method"]
    test_best = max(METHODS, key=lambda m: (metrics[m]["f1"], -metrics[m]["trainable_params"]))
    assert reading["best_on_test"] == test_best
    lost = 100 * (metrics[test_best]["f1"] - metrics[metrics["best_method"]]["f1"])
    assert reading["test_f1_points_lost_by_the_choice"] == pytest.approx(lost)


def test_lora_lists_the_head_once_in_modules_to_save(metrics):
    saved = metrics["lora_modules_to_save"]
    assert saved.count("classifier") == 1  # TaskType.SEQ_CLS added it; the config did not repeat it
    config = json.loads((Path(metrics["_output_dir"]) / "lora_adapter" / "adapter_config.json").read_text())
    assert config["modules_to_save"] == saved


@pytest.fixture(scope="module")
def pretrained():
    """The encoder as the notebook loads it, straight from its files."""
    model, _ = load_model_and_tokenizer(
        tiny_parameters(NAME)["MODEL_NAME"], task="sequence_classification", num_labels=2
    )
    return model


def test_trainable_counts_match_the_architecture(metrics, pretrained):
    model, hidden, layers = pretrained, pretrained.config.hidden_size, pretrained.config.num_hidden_layers
    head = hidden * 2 + 2  # classifier: Linear(hidden, 2)
    lora = layers * 2 * 8 * (hidden + hidden) + head  # r=8 on query and value, plus the head
    assert metrics["features"]["trainable_params"] == hidden + 1
    assert metrics["head_only"]["trainable_params"] == head == 770
    assert metrics["lora"]["trainable_params"] == lora == metrics["lora_trainable_by_hand"] == 74_498
    assert metrics["full"]["trainable_params"] == sum(p.numel() for p in model.parameters()) == 22_713_986
    assert metrics["head_only"]["trainable_params"] < metrics["lora"]["trainable_params"]
    assert metrics["lora"]["trainable_params"] * 100 < metrics["full"]["trainable_params"]


def test_head_only_training_left_the_pretrained_body_bit_identical(metrics, pretrained):
    from_files = weights_sha256(pretrained.base_model)  # computed here, from the files on disk
    body = metrics["head_only_body"]
    assert body["sha256_before"] == body["sha256_after"] == from_files
    assert body["unchanged"] is True and body["head_modules"] == ["classifier"]


def test_scored_texts_were_never_trained_on_and_scores_recompute(metrics):
    rows = [json.loads(line) for line in (Path(metrics["_output_dir"]) / "predictions.jsonl").open()]
    train_texts = set(load_course_dataset("complaints")["train"]["text"])
    assert len(rows) == metrics["n_test"] == 300
    assert metrics["test_texts_in_train"] == 0
    assert not any(row["text"] in train_texts for row in rows)
    for method in METHODS:
        recomputed = accuracy_score([r["label"] for r in rows], [r[method] for r in rows])
        assert abs(recomputed - metrics[method]["accuracy"]) < 1e-12, method
    assert sum(map(sum, metrics["confusion_matrix"])) == 300


def test_outputs_are_saved(metrics):
    out = Path(metrics["_output_dir"])
    for name in (
        "results.png",
        "loss_curves.png",
        "confusion_matrix.png",
        "head_only.pt",
        "lora_adapter/adapter_config.json",
    ):
        assert (out / name).is_file(), name
    assert (out / "full_fine_tune" / "model.safetensors").is_file()
    assert metrics["saved_bytes"]["lora"] * 50 < metrics["saved_bytes"]["full"]


def test_the_medium_exercise_asks_for_a_figure_no_lazy_answer_hits(metrics):
    f1 = metrics["head_only"]["f1"]  # the head-only model's macro F1, computed by hand in the exercise
    assert 0.5 < f1 < 0.95
    assert abs(f1 - metrics["head_only"]["accuracy"]) > 1e-6  # accuracy is a wrong answer, not the right one
