"""Chat templates and SFT: the tiny Bloom has ChatML, prompts match training, run_sft learns."""

import pytest
from datasets import Dataset
from peft import LoraConfig, PeftModel, TaskType

from course_utils.chat import CHATML_TEMPLATE, chat_example, chat_prompt, first_answer, run_sft
from course_utils.models import load_model_and_tokenizer
from course_utils.params import count_params
from course_utils.tiny import tiny_model_path
from course_utils.train import generate


@pytest.fixture
def tiny():
    return load_model_and_tokenizer(tiny_model_path("bloom"))


def test_tiny_bloom_ships_chatml_and_inference_prompts_start_the_training_text(tiny):
    _, tokenizer = tiny
    assert tokenizer.chat_template == CHATML_TEMPLATE
    example = chat_example("Name a colour.", "blue")
    full = tokenizer.apply_chat_template(example["prompt"] + example["completion"], tokenize=False)
    assert full == "<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\nblue<|im_end|>\n"
    assert full.startswith(chat_prompt(tokenizer, "Name a colour."))


def test_chat_prompt_without_a_template_is_one_clear_line(tiny):
    _, tokenizer = tiny
    tokenizer.chat_template = None
    with pytest.raises(ValueError, match="no chat template; set one") as info:
        chat_prompt(tokenizer, "hi")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("generated", "answer"),
    [("blue<|im_end|>\n<|im_start|>user", "blue"), ("no complaint<im_end", "no complaint"), (" red\nmore", "red")],
)
def test_first_answer_stops_at_the_end_of_turn(generated, answer):
    assert first_answer(generated) == answer


def test_run_sft_learns_the_completion_and_lora_trains_only_the_adapter(tiny, tmp_path):
    model, tokenizer = tiny
    data = Dataset.from_list([chat_example("Name a colour.", "blue"), chat_example("Name a fruit.", "apple")] * 8)
    with pytest.raises(ValueError, match="raise max_length"):  # the prompt alone is longer than 16 tokens
        run_sft(model, tokenizer, data, output_dir=tmp_path, max_steps=1, learning_rate=1e-3, max_length=16)
    model, run = run_sft(model, tokenizer, data, output_dir=tmp_path, max_steps=30, learning_rate=3e-3, max_length=64)
    assert run.losses[-1] < run.losses[0] / 4 and len(run.steps) == len(run.losses) and run.seconds > 0
    outputs = generate(model, tokenizer, [chat_prompt(tokenizer, "Name a fruit.")], max_new_tokens=6)
    assert first_answer(outputs[0]) == "apple"

    fresh, _ = load_model_and_tokenizer(tiny_model_path("bloom"))
    lora = LoraConfig(r=4, lora_alpha=4, target_modules=["query_key_value"], task_type=TaskType.CAUSAL_LM)
    wrapped, _ = run_sft(
        fresh, tokenizer, data, output_dir=tmp_path, max_steps=2, learning_rate=1e-3, max_length=64, peft_config=lora
    )
    hidden, layers = fresh.config.hidden_size, fresh.config.n_layer
    assert isinstance(wrapped, PeftModel) and not wrapped.training
    assert count_params(wrapped)[0] == layers * 4 * (hidden + 3 * hidden)
