"""The course datasets: complete splits, held-out phrasings, nothing from test in training or pretraining."""

import importlib.util
import json
import warnings

import pytest
from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value

from course_utils.chat import chat_example, chat_prompt
from course_utils.data import (
    COLUMNS,
    HUB_TWINS,
    QUOTE_TOPICS,
    check_dataset,
    format_prompt,
    load_course_dataset,
    plain_labels,
    quote_topic,
    shorten_to_fit,
)
from course_utils.paths import data_dir, repo_root
from course_utils.tiny import read_corpus, tiny_model_path

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


# The targets the notebooks fine-tune on: a tiny model must learn them, not recite them.
TARGETS = {"act_as": "prompt", "quotes": "quote", "dialogsum": "summary"}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_no_fine_tuning_target_of_any_split_is_in_the_pretraining_corpus(name):
    corpus = "\n\n".join(read_corpus())
    ds = load_course_dataset(name)
    for split in ds.values():
        assert not [t for t in split[TARGETS[name]] if t.strip("\u201c\u201d") in corpus]


def test_the_corpus_holds_the_domain_every_role_and_every_quote_topic():
    corpus = "\n\n".join(read_corpus()).lower()
    for name, column in [("act_as", "act"), ("quotes", "topic")]:
        ds = load_course_dataset(name)
        names = {value.lower() for split in ds.values() for value in split[column]}
        assert not [value for value in names if value not in corpus]


def test_some_phrasings_exist_in_the_test_split_only():
    test_only = load_course_dataset("complaints")["test"]["text"]
    assert any("disappointed" in t for t in test_only)
    assert not any("disappointed" in t for t in load_course_dataset("complaints")["train"]["text"])


def test_the_validation_split_has_new_phrasings_of_its_own():
    markers = ("so frustrated", "later and still no sign", "lovely experience", "quick question: do you deliver")
    ds = load_course_dataset("complaints")
    assert sum(any(m in t for m in markers) for t in ds["validation"]["text"]) == 50
    for split in ("train", "test"):
        assert not any(m in t for t in ds[split]["text"] for m in markers), split


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
    assert "ought/raft" not in HUB_TWINS  # a script dataset: datasets >= 4 refuses it, and its test split is unlabelled
    for hub_id in ("cornell-movie-review-data/rotten_tomatoes", "stanfordnlp/imdb"):
        assert HUB_TWINS[hub_id].label_words == {"neg": "negative", "pos": "positive"}
    assert HUB_TWINS["cais/mmlu"].label_words is None and HUB_TWINS["cais/mmlu"].splits == {"train": "dev"}


def test_class_labels_become_plain_words_or_ints():
    features = Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    reviews = Dataset.from_dict({"text": ["bad", "good", "unlabelled"], "label": [0, 1, -1]}, features=features)
    with pytest.raises(ValueError, match="Invalid string class label negative"):  # what a plain map does
        reviews.map(lambda row: {"label": {0: "negative", 1: "positive"}[max(row["label"], 0)]})
    words = plain_labels(reviews, {"neg": "negative", "pos": "positive"})
    assert words.features["label"] == Value("string") and words["label"] == ["negative", "positive"]
    assert plain_labels(reviews, {})["label"] == ["neg", "pos"]  # names missing from the dict stay as they are

    mc_features = Features(
        {"question": Value("string"), "choices": Sequence(Value("string")), "answer": ClassLabel(names=list("ABCD"))}
    )
    mc = Dataset.from_dict({"question": ["q"], "choices": [["w", "x", "y", "z"]], "answer": [2]}, features=mc_features)
    ints = plain_labels(mc, None)
    assert ints.features["answer"] == Value("int64") and ints["answer"] == [2] and isinstance(ints[0]["answer"], int)
    assert plain_labels(reviews.remove_columns("label"), None)["text"] == ["bad", "good", "unlabelled"]


def test_quote_topics_come_from_the_fixed_list_not_the_first_tag():
    assert 15 <= len(QUOTE_TOPICS) <= 30 and len(set(QUOTE_TOPICS)) == len(QUOTE_TOPICS)
    assert quote_topic(["ataraxy", "be-yourself", "love", "philosophy"]) == "philosophy"  # the more specific one
    assert quote_topic(["attributed-no-source", "humor"]) == "humor"
    assert quote_topic(["be-yourself", "inspirational-quotes"]) is None and quote_topic([]) is None
    assert quote_topic(None) is None


def test_local_quotes_have_a_topic_column_equal_to_their_single_tag():
    ds = load_course_dataset("quotes")
    for split in ds.values():
        assert all(row["tags"] == [row["topic"]] for row in split)


@pytest.fixture(scope="module")
def tiny_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_path("bloom"))


def _chat_tokens(tokenizer, prompt, completion):
    example = chat_example(prompt, completion)
    return len(
        tokenizer(tokenizer.apply_chat_template(example["prompt"] + example["completion"], tokenize=False))["input_ids"]
    )


def test_shorten_to_fit_cuts_the_text_and_keeps_the_answer(tiny_tokenizer):
    tok = tiny_tokenizer
    review = " ".join(["The film was long and the story went on and on without an end in sight."] * 30)
    template = "Classify the text as negative or positive.\n{text}"

    def count(text):
        return _chat_tokens(tok, template.format(text=text), "negative")

    assert count(review) > 96
    short, cut = shorten_to_fit(review, tok, count, 96)
    assert (
        cut and count(short) <= 96 and review.startswith(short) and count(short) >= 90
    )  # cut, but no more than needed
    assert shorten_to_fit("Fine film.", tok, count, 96) == ("Fine film.", False)
    with pytest.raises(ValueError, match="raise the limit"):
        shorten_to_fit(review, tok, count, 5)


def test_trl_drops_what_shortening_saves(tiny_tokenizer, tmp_path):
    """The rule notebook 06 counts with is trl's: an example whose prompt alone fills max_length is dropped."""
    from trl import SFTConfig, SFTTrainer

    from course_utils.models import load_model_and_tokenizer

    tok, max_length = tiny_tokenizer, 96
    template = "Classify the text as negative or positive.\n{text}"
    texts = ["Good.", " ".join(["A slow and muddled story that never ends."] * 20)]
    raw = [(template.format(text=t), "negative") for t in texts]
    fitted = []
    for text in texts:
        short, _ = shorten_to_fit(
            text, tok, lambda t: _chat_tokens(tok, template.format(text=t), "negative"), max_length
        )
        fitted.append((template.format(text=short), "negative"))
    model, _ = load_model_and_tokenizer(tiny_model_path("bloom"))
    with warnings.catch_warnings():  # trl's own default uses a name transformers 5 calls deprecated
        warnings.filterwarnings("ignore", message="`gradient_checkpointing` is deprecated", category=FutureWarning)
        config = SFTConfig(output_dir=str(tmp_path), max_length=max_length, report_to="none", use_cpu=True, bf16=False)
    for pairs, kept in ((raw, 1), (fitted, 2)):
        dropped_by_rule = sum(len(tok(chat_prompt(tok, p))["input_ids"]) >= max_length for p, _ in pairs)
        data = Dataset.from_list([chat_example(p, c) for p, c in pairs])
        trainer = SFTTrainer(model=model, args=config, train_dataset=data, processing_class=tok)
        assert len(trainer.train_dataset) == kept == len(pairs) - dropped_by_rule


def test_max_per_split_and_prompt_templates():
    ds = load_course_dataset("instructions", max_per_split=7)
    assert all(len(split) == 7 for split in ds.values())
    row = ds["test"][0]
    prompt = format_prompt(row)
    assert row["instruction"] in prompt and prompt.endswith("### Response:\n") and row["output"] not in prompt
    assert format_prompt(row, "question").startswith("Question: ")
    with pytest.raises(ValueError, match="template='chat'"):
        format_prompt(row, "chat")
