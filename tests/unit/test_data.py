"""The course datasets: complete splits, held-out phrasings, nothing from test in training or pretraining."""

import importlib.util
import json

import pytest
from datasets import Dataset, DatasetDict

from course_utils.data import COLUMNS, HUB_TWINS, check_dataset, format_prompt, load_course_dataset
from course_utils.paths import data_dir, repo_root
from course_utils.tiny import read_corpus

TEXT_FIELD = {
    "act_as": "prompt",
    "quotes": "quote",
    "dialogsum": "dialogue",
    "complaints": "text",
    "instructions": "instruction",
    "multiple_choice": "question",
}


def _make_data_module():
    spec = importlib.util.spec_from_file_location("make_data", repo_root() / "scripts" / "make_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_every_dataset_has_three_nonempty_splits_and_its_columns(name):
    ds = load_course_dataset(name)
    assert set(ds) == {"train", "validation", "test"}
    assert len(ds["train"]) >= 100 and len(ds["test"]) >= 50
    for split in ds.values():
        assert set(COLUMNS[name]) <= set(split.column_names)


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_no_test_example_is_in_train_or_in_the_pretraining_corpus(name):
    ds = load_course_dataset(name)
    field = TEXT_FIELD[name]
    train = {json.dumps(row, sort_keys=True) for row in ds["train"]}
    assert not any(json.dumps(row, sort_keys=True) in train for row in ds["test"])
    train_texts = set(ds["train"][field])
    assert not set(ds["test"][field]) & train_texts
    corpus = "\n\n".join(read_corpus())
    assert not [t for t in ds["test"][field] if t in corpus]


def test_some_phrasings_exist_in_the_test_split_only():
    test_only = load_course_dataset("complaints")["test"]["text"]
    assert any("disappointed" in t for t in test_only)
    assert not any("disappointed" in t for t in load_course_dataset("complaints")["train"]["text"])


def test_labels_are_balanced_enough_and_the_label_words_are_in_the_corpus():
    ds = load_course_dataset("complaints")
    labels = ds["test"]["label"]
    majority = max(labels.count(v) for v in set(labels)) / len(labels)
    assert set(labels) == {"complaint", "no complaint"} and majority < 0.6
    corpus = "\n\n".join(read_corpus())
    assert "complaint" in corpus and "no complaint" in corpus.lower()


def test_the_files_are_what_the_generator_writes():
    gen = _make_data_module()
    for name, splits in gen.build_all().items():
        for split, rows in splits.items():
            on_disk = (data_dir() / name / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
            assert on_disk == [json.dumps(r, ensure_ascii=False) for r in rows], f"{name}/{split}: rerun make_data.py"
    assert read_corpus() == gen.build_corpus(gen.build_all())


def test_clear_errors_for_unknown_name_missing_column_and_empty_split():
    with pytest.raises(ValueError, match="Unknown dataset 'imdb'"):
        load_course_dataset("imdb")
    good = Dataset.from_list([{"text": "a", "label": "complaint"}])
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['label'\].*rename_column"):
        check_dataset(
            DatasetDict(train=good, validation=good, test=good.remove_columns("label")), "x", ["text", "label"]
        )
    with pytest.raises(ValueError, match="the 'validation' split is empty"):
        check_dataset(DatasetDict(train=good, validation=good.select([]), test=good), "x", ["text"])


def test_hub_twins_map_to_course_columns():
    assert {t.course_name for t in HUB_TWINS.values()} == set(COLUMNS)
    raft = HUB_TWINS["ought/raft"]
    assert raft.convert({"label": 1}) == {"label": "complaint"} and not raft.keep({"label": 0})


def test_max_per_split_and_prompt_templates():
    ds = load_course_dataset("instructions", max_per_split=7)
    assert all(len(split) == 7 for split in ds.values())
    row = ds["test"][0]
    prompt = format_prompt(row)
    assert row["instruction"] in prompt and prompt.endswith("### Response:\n") and row["output"] not in prompt
    assert format_prompt(row, "question").startswith("Question: ")
    with pytest.raises(ValueError, match="template='chat'"):
        format_prompt(row, "chat")
