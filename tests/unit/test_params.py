"""Parameter counts: exact figures for real architectures (meta device) and tiny models."""

import copy
import warnings

import torch
from peft import LoraConfig, PromptTuningConfig, TaskType

from course_utils.models import load_model_and_tokenizer
from course_utils.params import count_params, describe_params, model_on_meta
from course_utils.paths import real_config_path
from course_utils.tiny import tiny_model_path

BLOOMZ = real_config_path("bigscience/bloomz-560m")


def test_bloomz_560m_total_from_config():
    assert count_params(BLOOMZ) == (559_214_592, 559_214_592)


def test_bloomz_560m_lora_r4_on_query_key_value():
    lora = LoraConfig(r=4, target_modules=["query_key_value"], task_type=TaskType.CAUSAL_LM)
    assert count_params(BLOOMZ, lora) == (393_216, 559_607_808)


def test_config_file_path_and_object_agree():
    model = model_on_meta(BLOOMZ / "config.json")
    assert all(p.device.type == "meta" for p in model.parameters())
    assert count_params(BLOOMZ / "config.json") == count_params(model.config)


def test_bloom_7b1_shape_and_total():
    model = model_on_meta(real_config_path("bigscience/bloom-7b1"))
    assert model.config.hidden_size == 4096 and model.config.n_layer == 30 and model.config.n_head == 32
    assert model.config.vocab_size == 250_880
    assert count_params(model) == (7_069_016_064, 7_069_016_064)


def test_prompt_tuning_trainable_is_virtual_tokens_times_hidden():
    config = PromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=20)
    trainable, total = count_params(BLOOMZ, config)
    assert trainable == 20 * 1024
    assert total == 559_214_592 + 20 * 1024


def test_loaded_tiny_model_matches_manual_count_and_is_not_modified():
    model, _ = load_model_and_tokenizer(tiny_model_path("bloom"))
    expected = sum(p.numel() for p in model.parameters())
    assert count_params(model) == (expected, expected)
    lora = LoraConfig(r=2, target_modules=["query_key_value"], task_type=TaskType.CAUSAL_LM)
    trainable, _ = count_params(model, lora)
    hidden, layers = model.config.hidden_size, model.config.n_layer
    assert trainable == layers * 2 * (hidden + 3 * hidden)  # A: r x in, B: out x r, out = 3 x hidden
    assert not any("lora" in name for name, _ in model.named_parameters())  # model left as it was
    model.requires_grad_(False)
    assert count_params(model) == (0, expected)
    assert "0.0000%" in describe_params(model)


def test_four_bit_model_counts_values_not_bytes():
    fp32, _ = load_model_and_tokenizer(tiny_model_path("bloom"))
    q4, _ = load_model_and_tokenizer(tiny_model_path("bloom"), quantization="4bit")
    assert count_params(q4)[1] == count_params(fp32)[1]
    assert any(type(p).__name__ == "Params4bit" for p in q4.parameters())
    assert torch.float32 in {p.dtype for p in fp32.parameters()}


def test_counting_leaves_the_peft_config_as_it_was():
    lora = LoraConfig(r=4, target_modules=["query_key_value"], task_type=TaskType.CAUSAL_LM)
    prompt = PromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=8)
    trained = LoraConfig(r=4, target_modules=["query_key_value"], task_type=TaskType.CAUSAL_LM)
    trained.base_model_name_or_path = "bigscience/bloom-7b1"  # as get_peft_model leaves it on a real model
    for config in (lora, prompt, trained):
        before = copy.deepcopy(config.to_dict())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            count_params(real_config_path("bigscience/bloom-7b1"), config)
        assert config.to_dict() == before, type(config).__name__
        assert not [w for w in caught if "base_model_name_or_path" in str(w.message)]  # no "renamed" warning
    assert lora.base_model_name_or_path is None  # get_peft_model would have written the meta model's folder
