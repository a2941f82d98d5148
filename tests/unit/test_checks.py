"""A learner's likely mistakes: each is one line naming the problem and the fix, in a notebook too."""

import pytest
import torch
from datasets import Dataset, DatasetDict
from peft import LoraConfig, TaskType, get_peft_model

from course_utils import models
from course_utils.checks import (
    CourseInputError,
    OneLineError,
    check_adapter_fits,
    check_lora_targets,
    check_positive,
    linear_layer_names,
)
from course_utils.data import check_dataset
from course_utils.models import MissingDependencyError, ModelNotAvailableError, load_model_and_tokenizer
from course_utils.tiny import tiny_model_path


def _one_line(error: Exception) -> str:
    """What IPython shows for the error: its _render_traceback_ lines, which must be a single one."""
    assert isinstance(error, OneLineError)
    lines = error._render_traceback_()
    assert len(lines) == 1 and "\n" not in lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def bloom():
    model, _ = load_model_and_tokenizer(tiny_model_path("bloom"), dtype=torch.float32)
    return model


@pytest.mark.parametrize("value", [0, -1.5, None, "4", True])
def test_a_budget_or_batch_size_that_is_not_positive(value):
    with pytest.raises(CourseInputError) as info:
        check_positive(BATCH_SIZE=8, BUDGET_GB=value)
    assert _one_line(info.value).startswith(f"CourseInputError: BUDGET_GB = {value!r}: it must be a positive number")
    check_positive(BATCH_SIZE=8, BUDGET_GB=15.3)  # fine: no error


def test_a_lora_target_the_model_lacks_lists_its_linear_layers(bloom):
    names = linear_layer_names(bloom)
    assert names == ["dense", "dense_4h_to_h", "dense_h_to_4h", "query_key_value"]  # Bloom's, without the head
    with pytest.raises(CourseInputError) as info:
        check_lora_targets(bloom, ["q_proj", "query_key_value"])  # a Llama name on a Bloom
    line = _one_line(info.value)
    assert "['q_proj']" in line and str(names) in line
    check_lora_targets(bloom, ["query_key_value", "dense"])
    model, _ = load_model_and_tokenizer(tiny_model_path("bloom"), dtype=torch.float32)
    wrapped = get_peft_model(model, LoraConfig(r=2, target_modules=["dense"], task_type=TaskType.CAUSAL_LM))
    assert linear_layer_names(wrapped) == names  # a peft model: the wrapped layers keep their names


def test_an_adapter_from_another_model_or_no_adapter_at_all(tmp_path, bloom):
    lora = LoraConfig(r=4, target_modules=["query_key_value"], task_type=TaskType.CAUSAL_LM)
    model, _ = load_model_and_tokenizer(tiny_model_path("bloom"), dtype=torch.float32)
    get_peft_model(model, lora).save_pretrained(tmp_path / "mine")
    check_adapter_fits(tmp_path / "mine", bloom)  # the same shape: fine
    t5, _ = load_model_and_tokenizer(tiny_model_path("t5"), task="seq2seq", dtype=torch.float32)
    t5_lora = LoraConfig(r=4, target_modules=["q", "v"], task_type=TaskType.SEQ_2_SEQ_LM)
    get_peft_model(t5, t5_lora).save_pretrained(tmp_path / "t5")
    with pytest.raises(CourseInputError) as info:
        check_adapter_fits(tmp_path / "t5", bloom)
    assert "was trained on another model" in _one_line(info.value)
    with pytest.raises(CourseInputError, match="No adapter in"):
        check_adapter_fits(tmp_path / "nothing-here", bloom)


def test_a_dataset_without_the_columns_a_notebook_needs():
    split = Dataset.from_dict({"text": ["a"], "target": ["b"]})
    ds = DatasetDict(train=split, validation=split, test=split)
    with pytest.raises(CourseInputError) as info:
        check_dataset(ds, "mine", ["dialogue", "summary"])
    line = _one_line(info.value)
    assert "lacks column(s) ['dialogue', 'summary']" in line and "rename_column" in line


def test_a_model_id_with_a_typo_online_is_one_line(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(models, "_is_cached", lambda _: False)
    monkeypatch.setattr(models, "hub_reachable", lambda: True)  # as if online
    monkeypatch.setattr(
        "huggingface_hub.repo_exists", lambda model_id, token=None: model_id == "bigscience/bloomz-560m"
    )
    assert models.check_model_available("bigscience/bloomz-560m") is False  # exists: from_pretrained downloads it
    with pytest.raises(ModelNotAvailableError) as info:
        models.check_model_available("bigscience/bloomz-560")
    assert "No model 'bigscience/bloomz-560' on the Hugging Face Hub: check the spelling" in _one_line(info.value)
    with pytest.raises(ModelNotAvailableError):  # a space: no such repository either
        models.check_model_available("bigscience/bloomz 560m")


def test_offline_typo_and_missing_bitsandbytes_are_one_line_in_a_notebook(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotAvailableError) as info:
        load_model_and_tokenizer("bigscience/bloomz-560")
    assert "not on this machine" in _one_line(info.value)
    monkeypatch.setitem(__import__("sys").modules, "bitsandbytes", None)
    with pytest.raises(MissingDependencyError) as info:
        load_model_and_tokenizer(tiny_model_path("bloom"), quantization="4bit")
    assert "pip install bitsandbytes" in _one_line(info.value)
