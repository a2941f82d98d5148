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
    for name in ("full", "lora"):
        for key, gain in metrics["absolute_gain_over_base"][name].items():
            assert gain == pytest.approx(results[name][key] - results["base"][key])
        assert isinstance(results[name]["trainable_params"], int)


def test_the_run_to_keep_is_chosen_on_validation_loss(metrics):
    losses = metrics["final_val_loss"]
    assert set(losses) == {"full", "lora"}
    assert metrics["kept_on_validation"] == min(losses, key=losses.get)
    assert (Path(metrics["_output_dir"]) / "loss_curves.png").is_file()


def test_the_base_scores_by_copying_its_dialogue(metrics):
    copying = metrics["copying"]
    assert set(copying) == {"base", "full", "lora", "whole dialogue", "first line"}
    assert copying["base"]["rouge1"] == pytest.approx(metrics["results"]["base"]["rouge1"])
    assert copying["base"]["words_from_dialogue"] >= 0.8 and copying["base"]["opens_like_dialogue"] >= 0.5
    assert abs(metrics["base_minus_lead_rouge1"]) < 0.1  # scores like the first line, copied as is
    for name in ("full", "lora"):
        assert copying[name]["opens_like_dialogue"] <= 0.1, name


def test_high_overlap_summaries_with_wrong_facts_are_counted(metrics):
    from course_utils.metrics import rouge_n, rouge_tokens

    errors, high = metrics["fact_errors"], metrics["fact_error_threshold"]
    for name in ("full", "lora"):
        counted = errors[name]
        assert counted["n_high_missing_fact"] == len(counted["examples"]) <= counted["n_high"] <= metrics["n_test"]
        assert counted["n_high_missing_fact"] >= 0.1 * counted["n_high"] > 0, name  # fluent, shaped right, wrong
        for case in counted["examples"]:
            assert case["rouge1"] == pytest.approx(rouge_n(case["reference"], case["output"], 1)["fmeasure"])
            assert case["rouge1"] >= high and case["missing"]
            assert set(case["missing"]) <= set(rouge_tokens(case["reference"]))
            assert not set(case["missing"]) & set(rouge_tokens(case["output"]))


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


def test_the_exercise_graders_accept_the_right_values_and_reject_the_easy_slips():
    import math

    import torch
    from peft import LoraConfig, TaskType, get_peft_model

    from course_utils.exercises import grade
    from course_utils.models import load_model_and_tokenizer
    from course_utils.params import count_params

    assert grade("04.easy", 2 / 5, REF="It is cold outside") is None
    assert grade("04.easy", 1.0, REF="It is cold outside") is not None  # unclipped
    assert grade("04.easy", 2 / 4, REF="It is cold outside") is not None  # the recall
    assert grade("04.medium", math.exp(-0.5)) is None and grade("04.medium", 1) is not None
    base, _ = load_model_and_tokenizer(tiny_parameters(NAME)["MODEL_NAME"], task="seq2seq", dtype=torch.float32)
    total = count_params(base)[1]
    config = LoraConfig(r=4, lora_alpha=4, target_modules=["q", "v"], task_type=TaskType.SEQ_2_SEQ_LM)
    model = get_peft_model(base, config)  # as in section 5, at another rank
    results = {"full": {"trainable_params": total}, "lora": {"trainable_params": count_params(model)[0]}}
    everywhere, _ = load_model_and_tokenizer(tiny_parameters(NAME)["MODEL_NAME"], task="seq2seq", dtype=torch.float32)
    config = LoraConfig(r=4, lora_alpha=4, target_modules=["q", "k", "v", "o"], task_type=TaskType.SEQ_2_SEQ_LM)
    counted = count_params(get_peft_model(everywhere, config))[0]  # peft's own count
    assert counted == 2 * results["lora"]["trainable_params"]  # T5: q, k, v, o all map d_model <-> heads x d_kv
    assert grade("04.hard", total / counted, results=results, model=model, LORA_R=4) is None
    q_and_v_only = total / results["lora"]["trainable_params"]
    assert grade("04.hard", q_and_v_only, results=results, model=model, LORA_R=4) is not None
