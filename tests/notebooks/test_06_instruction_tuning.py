"""Notebook 06 on the tiny profile: chat template in training = in evaluation, SFT learns, forgetting is real."""

import hashlib
from pathlib import Path

from transformers import AutoTokenizer

from course_utils.chat import CHATML_TEMPLATE
from course_utils.profiles import tiny_parameters

NAME = "06_instruction_tuning"
METHODS = ("full_single", "lora_single", "multi_task")


def test_the_chat_template_of_training_is_the_one_of_evaluation(metrics):
    shas = metrics["chat_template_sha256"]
    expected = hashlib.sha256(CHATML_TEMPLATE.encode()).hexdigest()  # what course_utils gives the tiny Bloom
    assert shas["train"] == shas["eval"] == shas["section_3"] == expected
    assert metrics["inference_prompt_is_prefix"] is True
    assert metrics["chat_train_text"].startswith(metrics["chat_inference_prompt"])
    assert metrics["chat_inference_prompt"].endswith("<|im_start|>assistant\n")
    saved = AutoTokenizer.from_pretrained(Path(metrics["_output_dir"]) / "instruct_model")
    assert saved.chat_template == CHATML_TEMPLATE  # the instruct model keeps its template


def test_sft_learned_task_b_and_the_layout_matters(metrics):
    assert metrics["loss_last"] < metrics["loss_first"] / 5
    assert metrics["task_b_instruct"] >= metrics["task_b_base"] + 0.25
    assert metrics["template_mismatch_drop"] >= 0.2
    assert metrics["template_mismatch_drop"] == metrics["task_b_instruct"] - metrics["task_b_plain_format"]


def test_every_example_fits_max_length_so_trl_drops_none(metrics):
    fit = metrics["max_length_fit"]
    assert fit["max_length"] == tiny_parameters(NAME)["MAX_LENGTH"]
    assert metrics["trl_dropped"] == 0  # shortened texts: every answer survives truncation
    assert 0 < fit["longest_train_example_tokens"] <= fit["max_length"]
    parts = ("a_train", "a_test", "b_train", "b_test")
    assert metrics["shortened_examples"] == sum(fit[part]["shortened"] for part in parts)
    for part in parts:  # an example is shortened exactly when it would not have fitted
        assert (
            fit[part]["shortened"] == fit[part]["answer_cut_if_not_shortened"] >= fit[part]["dropped_if_not_shortened"]
        )


def test_the_instruction_set_is_shown_in_every_layout(metrics):
    layouts = metrics["instruction_layouts"]
    assert set(layouts) == {"instruction", "question", "task"}
    assert layouts["question"].startswith("Question: ") and layouts["instruction"].startswith("### Instruction:")


def test_few_shot_is_measured_and_costs_context(metrics):
    shots = tiny_parameters(NAME)["SHOTS"]
    table = metrics["few_shot"]
    assert sorted(map(int, table)) == sorted(shots)
    tokens = [table[str(k)]["prompt_tokens"] for k in sorted(shots)]
    assert tokens == sorted(tokens) and tokens[-1] > 2 * tokens[0]
    assert metrics["few_shot_score"] == table[str(max(shots))]["accuracy"]
    assert all(row["lenient_accuracy"] >= row["accuracy"] for row in table.values())


def test_forgetting_table_is_complete_and_from_this_run(metrics):
    table = metrics["forgetting"]
    assert set(table) == set(METHODS)
    keys = {"task_a_before", "task_a_after", "task_b_before", "task_b_after"}
    for name in METHODS:
        row = table[name]
        assert keys <= set(row) and all(0.0 <= row[k] <= 1.0 for k in keys), name
        assert row["task_b_before"] == metrics["task_b_instruct"]  # each run starts from the saved instruct model
        assert row["task_a_after"] >= row["task_a_before"] + 0.3, name  # task A improves under every method
        assert metrics["task_b_drops"][name] == row["task_b_before"] - row["task_b_after"]
    assert table["lora_single"]["trainable_params"] * 10 < table["full_single"]["trainable_params"]


def test_full_single_task_forgets_more_than_multi_task(metrics):
    drops = metrics["task_b_drops"]
    assert drops["full_single"] >= drops["multi_task"] + 0.2
    assert metrics["forgetting"]["multi_task"]["task_b_after"] >= 0.5 * metrics["task_b_instruct"]


def test_everything_trained_is_saved(metrics):
    out = Path(metrics["_output_dir"])
    assert (out / "instruct_model" / "model.safetensors").is_file()
    assert (out / "full_single" / "model.safetensors").is_file()
    assert (out / "multi_task" / "model.safetensors").is_file()
    assert (out / "lora_single" / "adapter_config.json").is_file()
    assert (out / "forgetting.png").is_file() and (out / "sft_loss.png").is_file()


def test_the_all_linear_grader_counts_what_peft_trains(metrics):
    import torch
    from peft import LoraConfig, TaskType, get_peft_model

    from course_utils.exercises import grade
    from course_utils.models import load_model_and_tokenizer
    from course_utils.params import count_params

    output_dir = Path(metrics["_output_dir"])
    model, _ = load_model_and_tokenizer(output_dir / "instruct_model", task="causal_lm", dtype=torch.float32)
    config = LoraConfig(r=16, lora_alpha=16, target_modules="all-linear", task_type=TaskType.CAUSAL_LM)
    trained = count_params(get_peft_model(model, config))[0]
    lora_single = metrics["forgetting"]["lora_single"]["trainable_params"]
    # Bloom, hidden h: query_key_value r(h + 3h) alone; all-linear adds dense r(2h) and the MLP's 2 x r(h + 4h)
    assert trained == 4 * lora_single
    assert grade("06.medium", trained, output_dir=output_dir, LORA_R=16) is None
    assert grade("06.medium", lora_single, output_dir=output_dir, LORA_R=16) is not None
