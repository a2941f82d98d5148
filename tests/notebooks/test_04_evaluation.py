"""Notebook 04 on the tiny profile: metrics by hand equal the libraries; fine-tunes beat the base."""

from pathlib import Path

import pytest

from course_utils.data import load_course_dataset
from course_utils.paths import repo_root
from course_utils.profiles import tiny_parameters
from course_utils.runner import execute_notebook

NAME = "04_evaluation"


def test_every_by_hand_value_equals_the_library(metrics):
    rows = metrics["by_hand_vs_library"]
    assert len(rows) >= 3 * 4 * 3 + 1  # 3 ROUGE cases x 4 metrics x (R, P, F1), plus BLEU
    assert all(abs(r["by_hand"] - r["library"]) < 1e-9 for r in rows)
    lookup = {(r["case"], r["metric"]): r["by_hand"] for r in rows}
    assert lookup[("extra word", "rouge1_recall")] == 1.0 and lookup[("extra word", "rouge1_precision")] == 0.8
    assert lookup[("repeated word", "rouge1_precision")] == 0.25  # clipped
    assert lookup[("reordered", "rouge1_fmeasure")] == 1.0 and lookup[("reordered", "rougeL_fmeasure")] == 0.5
    assert metrics["by_hand_max_abs_diff"] < 1e-9


def test_embedding_table_is_complete(metrics):
    table = metrics["embedding_vs_rouge"]
    assert {r["kind"] for r in table} == {"same meaning, other words", "opposite, one word changed", "unrelated"}
    means = metrics["embedding_vs_rouge_means"]
    assert means["same meaning, other words"]["cosine"] > means["unrelated"]["cosine"] + 0.3


def test_full_and_lora_beat_the_base_and_lora_trains_far_fewer(metrics):
    results = metrics["results"]
    assert set(results) == {"base", "full", "lora"}
    for name in ("full", "lora"):
        assert results[name]["rouge1"] >= results["base"]["rouge1"] + 0.2, name
        assert results[name]["bleu"] > results["base"]["bleu"]
        assert results[name]["saved_bytes"] > 0 and results[name]["train_seconds"] > 0
        gain = metrics["relative_gain_over_base"][name]["rouge1"]
        assert gain == pytest.approx((results[name]["rouge1"] - results["base"]["rouge1"]) / results["base"]["rouge1"])
    assert results["lora"]["trainable_params"] * 5 < results["full"]["trainable_params"]
    assert results["lora"]["saved_bytes"] * 5 < results["full"]["saved_bytes"]
    assert (Path(metrics["_output_dir"]) / "results.png").is_file()
    assert len(metrics["samples"]) == 3


def test_multiple_choice_is_above_chance(metrics):
    assert metrics["multiple_choice_chance"] == pytest.approx(0.25)
    assert metrics["multiple_choice_accuracy"] >= metrics["multiple_choice_chance"] + 0.15


def test_multiple_choice_covers_every_subject(metrics):
    subjects = load_course_dataset("multiple_choice")["test"]["subject"]
    assert metrics["n_mc_subjects"] == metrics["n_mc_subjects_in_split"] == len(set(subjects)) == 4
    assert sum(metrics["mc_subject_counts"].values()) == metrics["n_mc"]


def test_two_runs_give_identical_scores(tmp_path):
    small = {**tiny_parameters(NAME), "MAX_STEPS": 15, "N_TEST": 24, "N_MC": 12}
    path = repo_root() / "notebooks" / f"{NAME}.ipynb"
    first = execute_notebook(path, tmp_path / "a", small)
    second = execute_notebook(path, tmp_path / "b", small)
    for name in ("base", "full", "lora"):
        for key in ("rouge1", "rouge2", "rougeL", "rougeLsum", "bleu", "trainable_params"):
            assert first["results"][name][key] == second["results"][name][key], (name, key)
    assert first["multiple_choice_accuracy"] == second["multiple_choice_accuracy"]
    # 12 questions: the split's first 12 rows are all geography; dealt round-robin, 3 per subject.
    assert first["mc_subject_counts"] == second["mc_subject_counts"]
    assert first["n_mc_subjects"] == 4 and set(first["mc_subject_counts"].values()) == {3}
