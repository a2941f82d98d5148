"""The rehearsal: every notebook on its Colab defaults, at the real architectures' shapes, offline.

Models are random-weight models built from the real config.json files and served from a
Hugging Face cache folder under their Hub ids; datasets are stand-ins with the real Hub
repositories' layout and schema; only step and example counts are cut
(``course_utils.profiles.REHEARSAL_PROFILE``). This guards the Colab path: real vocabularies,
module names, column types and memory at real widths.
"""

import pytest

from course_utils.params import count_params
from course_utils.paths import real_config_path
from course_utils.profiles import REHEARSAL_PROFILE
from course_utils.rehearsal import BLOOM_7B1_LAYERS
from course_utils.runner import format_table, notebook_paths, run_course

NAMES = [p.stem for p in notebook_paths()]


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    summary = run_course(tmp_path_factory.mktemp("rehearsal"), profile="rehearsal")
    print(format_table(summary))
    return {entry["name"]: entry for entry in summary}


@pytest.mark.parametrize("name", NAMES)
def test_every_notebook_runs_on_its_colab_defaults(rehearsal, name):
    entry = rehearsal[name]
    assert entry["status"] == "ok", entry.get("error")
    assert entry["peak_gib"] < 20, "a notebook must fit this 24 GiB machine"


def test_the_environment_check_loads_bloomz_560m_at_its_real_shape(rehearsal):
    m = rehearsal["00_environment_check"]["metrics"]
    assert m["model_name"] == "bigscience/bloomz-560m" and m["total_params"] == 559_214_592
    assert m["four_bit_ok"] and m["linear4bit_modules"] == 96  # 4 per block x 24; the head stays


def test_prompt_tuning_counts_the_real_hidden_size_and_scores_rotten_tomatoes(rehearsal):
    m = rehearsal["01_prompt_tuning"]["metrics"]
    assert m["base_params"] == 559_214_592 and m["trainable_params"] == 20 * 1024
    assert m["total_params"] == m["real_model_total_params"] and m["base_weights_unchanged"]
    assert m["n_test"] == 16 and len(m["likelihood_accuracy_after_ci95"]) == 2
    assert sum(m["pick_share_before"].values()) == pytest.approx(1.0) and m["hard_prompt_tokens"] > 0


def test_lora_counts_match_the_real_bloomz_and_reload_exactly(rehearsal):
    m = rehearsal["02_lora_bloom"]["metrics"]
    assert m["trainable_params"] == m["real_model_trainable_params"] == 24 * 8 * (1024 + 3 * 1024)
    assert m["reload_max_abs_diff"] == 0.0 and m["disabled_equals_base"]


def test_qlora_quantizes_bloom_7b1_blocks_and_saves_a_clean_adapter(rehearsal):
    m = rehearsal["03_qlora_bloom_7b"]["metrics"]
    assert m["linear4bit_modules"] == 4 * BLOOM_7B1_LAYERS and m["plain_linear_modules"] == 1  # the head
    assert m["real_model_params"] == count_params(real_config_path("bigscience/bloom-7b1"))[1]
    assert m["adapter_base_model"] == "bigscience/bloom-7b1" and m["adapter_non_lora_tensors"] == 0
    assert m["reload_max_abs_diff"] == 0.0 and m["budget"]["source"] == "BUDGET_GB"
    assert m["embedding_params"] == 250_880 * 4096 and m["embedding_fp32_bytes"] == 4 * 250_880 * 4096
    assert m["quantized_weights"] == BLOOM_7B1_LAYERS * 12 * 4096 * 4096  # the blocks' linear layers, in NF4
    probe = m["input_grad_probe"]  # reentrant checkpointing needs the embedding output to require grad
    assert not probe["without_hook_requires_grad"] and probe["lora_tensors_with_grad"] == 2 * BLOOM_7B1_LAYERS


def test_multiple_choice_covers_every_subject_of_the_sorted_split(rehearsal):
    m = rehearsal["04_evaluation"]["metrics"]
    assert m["n_mc_subjects"] == m["n_mc_subjects_in_split"] >= 2


def test_classification_reads_imdb_class_names_and_trains_distilbert(rehearsal):
    m = rehearsal["05_classification"]["metrics"]
    assert m["label_names"] == ["negative", "positive"] and m["test_texts_in_train"] == 0
    assert m["full"]["trainable_params"] == 66_955_010


def test_instruction_tuning_keeps_every_answer_of_long_reviews(rehearsal):
    m = rehearsal["06_instruction_tuning"]["metrics"]
    assert m["shortened_examples"] > 0 and m["trl_dropped"] == 0
    assert m["forgetting"]["full_single"]["trainable_params"] == 134_515_008
    assert m["inference_prompt_is_prefix"] and m["chat_train_text"].startswith("<|im_start|>system")


def test_scaling_out_trains_bloomz_560m_in_two_processes_at_its_real_shape(rehearsal):
    m = rehearsal["07_scaling_out"]["metrics"]
    ddp = m["data_parallel"]
    assert ddp["world_sizes"] == [2, 2] and ddp["disjoint_shares"] and ddp["same_examples_as_single"]
    assert ddp["loss_max_relative_gap"] < ddp["loss_tolerance"]
    lora_r8 = 24 * 8 * (1024 + 3 * 1024)  # query_key_value: A is 8 x 1024, B is 3072 x 8, in 24 blocks
    assert ddp["parameter_bytes"]["per_process"] == [4 * (559_214_592 + lora_r8)] * 2  # a whole float32 copy each
    assert all(0.45 <= ratio <= 0.55 for ratio in m["sharding"]["ratios"].values())


def test_peft_methods_count_bloomz_560m_by_their_formulas_and_merge_at_its_real_shape(rehearsal):
    m = rehearsal["08_peft_methods"]["metrics"]
    counts = m["counts"]
    assert all(c["trainable"] == c["formula"] == c["real_trainable"] for c in counts.values())
    # BitFit: every bias of a block (query_key_value 3 x 1024, dense 1024, dense_h_to_4h 4096, dense_4h_to_h
    # 1024, two layer norms 2 x 1024) in 24 blocks, plus the embedding's and the final layer norm's biases
    bitfit = 24 * (3 * 1024 + 1024 + 4096 + 1024 + 2 * 1024) + 2 * 1024
    assert counts["bitfit"]["trainable"] == bitfit == 272_384 and counts["lora"]["trainable"] == 24 * 8 * 4 * 1024
    rows = {r["method"]: r for r in m["rows"]}
    assert list(rows) == m["methods"] == REHEARSAL_PROFILE["08_peft_methods"]["METHODS"]
    assert all(r["trainable"] == counts[k]["trainable"] and r["val_loss"] > 0 for k, r in rows.items())
    assert set(m["merge_max_abs_diff"]) == {"lora", "ia3"} and all(rows[k]["merged_plain"] for k in ("lora", "ia3"))
    assert rows["lora"]["memory"]["optimizer"] >= 8 * 786_432  # AdamW's two moments per LoRA weight, real size
