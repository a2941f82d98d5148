"""Notebook 06 on the tiny profile: fair prompting, SFT formats, packing, instruction tuning on held-out
instructions, the checkpoint chosen on validation, and forgetting measured on instructions and general ability."""

import hashlib
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from course_utils.chat import CHATML_TEMPLATE
from course_utils.profiles import tiny_parameters

NAME = "06_instruction_tuning"
METHODS = ("full_single", "lora_single", "multi_task")
SCORES = ("instructions_correct", "instructions_on_task", "task_a", "general")
PARAMS = tiny_parameters(NAME)
# The stated margin: after SFT, held-out instructions are answered on task this much more often than the base
# managed in either layout (its chat layout, or the Question/Answer layout of its pretraining).
FOLLOW_MARGIN = 0.25


def test_few_shot_is_read_both_ways_and_costs_context(metrics):
    table = metrics["few_shot"]
    assert sorted(map(int, table)) == sorted(PARAMS["SHOTS"])
    tokens = [table[str(k)]["prompt_tokens"] for k in sorted(PARAMS["SHOTS"])]
    assert tokens == sorted(tokens) and tokens[-1] > 2 * tokens[0]
    # Read by likelihood, prompting beats the majority label; read from the generated text, the base never
    # answers with a bare label, whatever the number of shots (the strict reading scores the format).
    best = table[str(metrics["few_shot_best_k"])]["likelihood"]
    assert best == max(row["likelihood"] for row in table.values())
    assert best >= metrics["task_a_majority_share"] + 0.1 and metrics["few_shot_best_k"] == 0  # zero-shot was best
    assert all(row["generated"] <= row["likelihood"] for row in table.values())


def test_each_sft_format_puts_its_own_tokens_in_the_loss(metrics):
    formats = metrics["format_loss_tokens"]
    assert formats["text"]["in_loss"] == formats["text"]["tokens"]  # the instruction is trained on too
    assert formats["messages"]["in_loss"] == formats["messages"]["tokens"]  # no {% generation %} markers
    assert metrics["template_has_generation_markers"] is False
    assert 0 < formats["prompt-completion"]["in_loss"] < formats["prompt-completion"]["tokens"] / 3
    assert formats["prompt-completion"]["tokens"] == formats["messages"]["tokens"]  # the same rendered text


def test_the_chat_template_of_training_is_the_one_of_evaluation(metrics):
    assert metrics["chat_template_sha256"] == hashlib.sha256(CHATML_TEMPLATE.encode()).hexdigest()
    assert metrics["inference_prompt_is_prefix"] is True
    assert metrics["chat_train_text"].startswith(metrics["chat_inference_prompt"])
    assert metrics["chat_inference_prompt"].endswith("<|im_start|>assistant\n")
    saved = AutoTokenizer.from_pretrained(Path(metrics["_output_dir"]) / "instruct_model")
    assert saved.chat_template == CHATML_TEMPLATE  # the instruct model keeps its template


def test_packing_packs_at_a_realistic_block_and_not_at_the_short_one(metrics):
    packing = metrics["packing"]
    short, long = packing["by_block"]
    assert (short["block"], long["block"]) == (PARAMS["MAX_LENGTH"], PARAMS["PACKING_LENGTH"])
    assert short["examples_per_row"] < 1.5 < 10 < long["examples_per_row"]
    assert long["fill"] > 0.9 and long["packed_rows"] * 10 < packing["examples"]
    assert 0 < packing["padding_share_unpacked"] < 1
    assert packing["padded_tokens_unpacked"] > packing["tokens"]


def test_sft_makes_the_model_follow_held_out_instructions(metrics):
    base, plain, instruct = metrics["base"], metrics["base_plain_layout"], metrics["instruct"]
    assert metrics["test_answers_not_in_training"] > 0.5  # the test asks about other things than training
    before = max(base["instructions_on_task"], plain["on_task"])
    assert instruct["instructions_on_task"] >= before + FOLLOW_MARGIN
    assert base["instructions_on_task"] == 0.0  # the base, in the chat layout, never answers the kind asked
    assert 0 < plain["correct"] and 0 < plain["on_task"] < instruct["instructions_on_task"]  # prompting gets a little
    # Tuning taught the kind of answer, not the facts: right answers stay rare, one answer often serves a whole kind.
    assert instruct["instructions_correct"] < instruct["instructions_on_task"] / 4
    assert instruct["instructions_correct"] < plain["correct"]  # the prose: rarer than the base's Q/A layout got
    assert max(metrics["instruct_commonest_answer_share"].values()) >= 0.5
    # Inference in another layout than training loses much of it.
    assert metrics["template_mismatch_drop"] >= 0.2
    assert (
        metrics["template_mismatch_drop"]
        == instruct["instructions_on_task"] - metrics["instruct_plain_layout"]["on_task"]
    )


def test_the_sft_checkpoint_is_chosen_on_validation_and_the_gap_widens(metrics):
    curve = metrics["sft_curve"]
    assert curve["step"][-1] == PARAMS["INSTRUCT_STEPS"]
    assert metrics["sft_best_val_loss"] == min(curve["validation"])
    assert curve["step"][curve["validation"].index(metrics["sft_best_val_loss"])] == metrics["sft_best_step"]
    assert curve["training"][-1] < curve["training"][0] / 5
    gaps = [v - t for v, t in zip(curve["validation"], curve["training"], strict=True)]
    assert gaps[-1] > 0.3 and gaps[-1] == max(gaps)  # training loss far below validation loss by the end


@pytest.mark.parametrize("key", ["base", "instruct", "forgetting_start", "lora_adapter_off"])
def test_every_measure_is_taken_before_and_after(metrics, key):
    assert set(SCORES) <= set(metrics[key])
    assert all(0.0 <= metrics[key][score] <= 1.0 for score in SCORES)


def test_general_ability_is_measured_before_and_after_each_fine_tune(metrics):
    assert metrics["base"]["general"] >= metrics["general_chance"] + 0.2  # the base knows facts from pretraining
    assert metrics["instruct"]["general"] < metrics["base"]["general"]  # instruction tuning itself cost some
    assert metrics["forgetting_start"]["general"] == metrics["instruct"]["general"]
    for name in METHODS:
        assert 0.0 <= metrics["forgetting"][name]["general"] <= 1.0
        assert (
            metrics["drops"][name]["general"] == metrics["instruct"]["general"] - metrics["forgetting"][name]["general"]
        )
    assert metrics["drops"]["full_single"]["general"] > 0.05


def test_lora_with_the_adapter_off_is_the_instruct_model_exactly(metrics):
    start, off, on = metrics["forgetting_start"], metrics["lora_adapter_off"], metrics["forgetting"]["lora_single"]
    assert all(off[score] == start[score] for score in SCORES)  # exactly, not approximately
    assert metrics["lora_off_equals_start"] is True and metrics["lora_off_logits_equal"] is True
    assert on["instructions_on_task"] < 0.1 < start["instructions_on_task"] - 0.3  # with the adapter on, it forgot


def test_single_task_forgets_the_instructions_and_multi_task_keeps_them(metrics):
    start, runs, drops = metrics["forgetting_start"], metrics["forgetting"], metrics["drops"]
    assert start == {**metrics["instruct"], "instructions_val_loss": metrics["sft_best_val_loss"]}
    for name in METHODS:
        assert metrics["task_a_gains"][name] >= 0.3, name  # every method learned task A
        assert runs[name]["instructions_val_loss"] > start["instructions_val_loss"], name
    assert drops["full_single"]["instructions_on_task"] >= 0.5 and runs["full_single"]["instructions_on_task"] == 0.0
    assert runs["full_single"]["instructions_val_loss"] > 2 * start["instructions_val_loss"]
    # LoRA (adapter on) forgot less deeply: a far smaller rise of the instructions' loss, the general set barely moved.
    lora_rise = runs["lora_single"]["instructions_val_loss"] - start["instructions_val_loss"]
    assert lora_rise < (runs["full_single"]["instructions_val_loss"] - start["instructions_val_loss"]) / 2
    assert abs(drops["lora_single"]["general"]) <= 0.03
    # Replay protects what is replayed: most instruction following kept, the best task A, the general set still fell.
    assert runs["multi_task"]["instructions_on_task"] >= 0.6 * start["instructions_on_task"]
    assert runs["multi_task"]["task_a"] == max(row["task_a"] for row in runs.values())
    assert drops["multi_task"]["general"] > 0
    assert drops["multi_task"]["instructions_on_task"] <= drops["full_single"]["instructions_on_task"] - 0.4
    assert metrics["multi_task_kept_more"] is True
    assert runs["lora_single"]["trainable_params"] * 10 < runs["full_single"]["trainable_params"]


def test_full_fine_tuning_on_task_a_overfits_and_validation_keeps_an_earlier_step(metrics):
    curves = metrics["task_a_loss_curves"]["full_single"]
    val = dict(curves["eval"])
    kept = metrics["forgetting"]["full_single"]["kept_step"]
    assert val[kept] == min(val.values()) and kept < PARAMS["TASK_A_STEPS"]
    assert curves["train"][-1][1] < 0.01 < curves["eval"][-1][1]  # training loss near zero, validation above it


def test_no_answer_is_cut_and_prompting_is_compared_the_strict_way(metrics):
    assert metrics["trl_dropped"] == 0 and metrics["shortened_examples"] == 0  # short texts at MAX_LENGTH
    prompting = metrics["few_shot"][str(metrics["few_shot_best_k"])]["likelihood"]
    beats = {name: row["task_a"] > prompting for name, row in metrics["forgetting"].items()}
    assert metrics["fine_tunes_beating_prompting"] == beats and beats["multi_task"]


def test_everything_trained_is_saved(metrics):
    out = Path(metrics["_output_dir"])
    assert (out / "instruct_model" / "model.safetensors").is_file()
    assert (out / "full_single" / "model.safetensors").is_file()
    assert (out / "multi_task" / "model.safetensors").is_file()
    assert (out / "lora_single" / "adapter_config.json").is_file()
    assert (out / "forgetting_curves.png").is_file() and (out / "sft_loss.png").is_file()


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
