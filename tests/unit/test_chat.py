"""Chat templates: the tiny Bloom has ChatML, inference prompts match the training text, answers are cut at the turn."""

import pytest

from course_utils.chat import CHATML_TEMPLATE, chat_example, chat_prompt, first_answer
from course_utils.models import load_model_and_tokenizer
from course_utils.tiny import tiny_model_path


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
