"""The course datasets: local JSONL in data/ (offline) or their Hub twins (Colab).

``load_course_dataset(name)`` returns a ``DatasetDict`` with train, validation and test
splits and the same columns whichever source it came from, so a notebook's code does not
change when its ``DATASET`` parameter does.

Hub twins are read with ``datasets.load_dataset(<hub id>, <config>)``. When the environment
variable ``COURSE_DATASETS_MIRROR`` names a folder, the same call reads
``<folder>/<hub id>`` instead: a local copy laid out like the Hub repository (the rehearsal's
stand-ins, ``course_utils.standins``). Nothing else changes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasets import ClassLabel, Dataset, DatasetDict, Value

from course_utils.checks import CourseInputError
from course_utils.paths import data_dir

SPLITS = ("train", "validation", "test")
MIRROR_ENV = "COURSE_DATASETS_MIRROR"

# Goodreads tags that name a topic, most specific first: a quote tagged with several takes the
# first one listed here. The tags of Abirate/english_quotes are in alphabetical order, so their
# first tag is often a one-off ("ataraxy", "be-yourself"), not a topic.
# fmt: off
QUOTE_TOPICS = (
    "friendship", "books", "writing", "poetry", "music", "art", "science", "knowledge", "education",
    "faith", "religion", "death", "time", "courage", "freedom", "change", "success", "happiness",
    "hope", "humor", "truth", "philosophy", "wisdom", "inspirational", "love", "life",
)
# fmt: on


def quote_topic(tags: list[str] | None) -> str | None:
    """The topic of a quote: its tag that comes first in ``QUOTE_TOPICS``, or None if it has none."""
    present = set(tags or [])
    return next((topic for topic in QUOTE_TOPICS if topic in present), None)


@dataclass(frozen=True)
class HubTwin:
    """How a Hub dataset maps onto a course dataset's columns.

    Args:
        hub_id: the dataset id on the Hub.
        course_name: the local dataset with the same columns.
        config: the Hub configuration name, if the dataset has several.
        splits: course split -> Hub split, where the names differ (e.g. MMLU's "dev" as train).
            Course splits the Hub lacks are cut from train (seeded).
        rename: Hub column -> course column.
        label_words: what ``ClassLabel`` columns become. None: plain int indices (MMLU's
            answer). A dict: plain strings, each class name mapped through it (names it
            lacks are kept as they are). Rows without a label (-1) are dropped either way.
        keep: a row filter, applied after the labels are plain.
        convert: a function of a row returning new or changed columns (not label columns).
    """

    hub_id: str
    course_name: str
    config: str | None = None
    splits: dict[str, str] = field(default_factory=dict)
    rename: dict[str, str] = field(default_factory=dict)
    label_words: dict[str, str] | None = None
    keep: Callable[[dict], bool] | None = None
    convert: Callable[[dict], dict] | None = None


# The columns each course dataset must have (checked on every load).
COLUMNS = {
    "act_as": ["act", "prompt"],
    "quotes": ["quote", "author", "topic"],
    "dialogsum": ["dialogue", "summary"],
    "complaints": ["text", "label"],
    "instructions": ["task", "instruction", "input", "output"],
    "multiple_choice": ["question", "choices", "answer"],
}
# Label words a model reads and is scored on (notebooks 01, 05, 06): whole words, not "neg"/"pos".
SENTIMENT_WORDS = {"neg": "negative", "pos": "positive"}
HUB_TWINS = {
    twin.hub_id: twin
    for twin in [
        HubTwin("fka/awesome-chatgpt-prompts", "act_as"),
        HubTwin(
            "Abirate/english_quotes",
            "quotes",
            keep=lambda row: quote_topic(row["tags"]) is not None,
            convert=lambda row: {"topic": quote_topic(row["tags"])},
        ),
        HubTwin("knkarthick/dialogsum", "dialogsum"),
        # Any labelled text set with text/label columns fits the "complaints" shape (notebooks 01, 05, 06).
        HubTwin("cornell-movie-review-data/rotten_tomatoes", "complaints", label_words=SENTIMENT_WORDS),
        HubTwin("stanfordnlp/imdb", "complaints", label_words=SENTIMENT_WORDS),  # its "unsupervised" split is unused
        HubTwin(
            "databricks/databricks-dolly-15k",
            "instructions",
            rename={"context": "input", "response": "output", "category": "task"},
        ),
        HubTwin("cais/mmlu", "multiple_choice", config="all", splits={"train": "dev"}),
    ]
}


def check_dataset(ds: DatasetDict, name: str, columns: list[str]) -> DatasetDict:
    """Raise one clear line if a split is missing or empty, or lacks a needed column."""
    for split in SPLITS:
        if split not in ds:
            raise CourseInputError(f"Dataset {name!r} has no {split!r} split (has {sorted(ds)}).")
        if len(ds[split]) == 0:
            raise CourseInputError(
                f"Dataset {name!r}: the {split!r} split is empty; add examples or pick another split."
            )
        missing = [c for c in columns if c not in ds[split].column_names]
        if missing:
            raise CourseInputError(
                f"Dataset {name!r} split {split!r} lacks column(s) {missing} (has {ds[split].column_names}); "
                "rename them with dataset.rename_column(old, new)."
            )
    return ds


def read_jsonl(path) -> list[dict[str, Any]]:
    """Rows of a JSON-lines file."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write rows as a JSON-lines file (UTF-8, one object a line), creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _load_local(name: str) -> DatasetDict:
    folder = data_dir() / name
    return DatasetDict(
        {s: Dataset.from_list(read_jsonl(folder / f"{s}.jsonl")) for s in SPLITS if (folder / f"{s}.jsonl").is_file()}
    )


@contextmanager
def _quiet_datasets() -> Iterator[None]:
    """No datasets progress bars (split generation, map, filter) inside the block; the caller's setting after it."""
    from datasets.utils.tqdm import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    was_disabled = are_progress_bars_disabled()
    disable_progress_bars()
    try:
        yield
    finally:
        if not was_disabled:
            enable_progress_bars()


def hub_source(twin: HubTwin) -> str:
    """What ``load_dataset`` is given for a twin: its Hub id, or its folder in the ``COURSE_DATASETS_MIRROR``.

    Raises:
        FileNotFoundError: the mirror is set but lacks this dataset (one line).
    """
    mirror = os.environ.get(MIRROR_ENV)
    if not mirror:
        return twin.hub_id
    folder = Path(mirror) / twin.hub_id
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{twin.hub_id!r} is not in the dataset mirror {mirror} ({MIRROR_ENV}): no folder {folder}; "
            "build the stand-ins with course_utils.standins.build_standins() or unset the variable."
        )
    return str(folder)


def plain_labels(ds: Dataset, label_words: dict[str, str] | None) -> Dataset:
    """``ClassLabel`` columns as plain values: ints (``label_words=None``) or words.

    ``Dataset.map`` cannot simply overwrite a ``ClassLabel`` column with strings: datasets
    re-encodes the new values against the old feature and rejects any that is not a class name
    ("Invalid string class label negative"). So the new column type is given explicitly
    (``features=``), and the names come from the feature itself, never from a hand-written
    table of ids. Rows without a label (-1, e.g. IMDB's "unsupervised" split) are dropped.
    """
    class_columns = [name for name, feature in ds.features.items() if isinstance(feature, ClassLabel)]
    if not class_columns:
        return ds

    def labelled(batch):
        return [all(batch[c][i] >= 0 for c in class_columns) for i in range(len(batch[class_columns[0]]))]

    ds = ds.filter(labelled, batched=True)
    if label_words is None:
        for name in class_columns:
            ds = ds.cast_column(name, Value("int64"))
        return ds
    features = ds.features.copy()
    # index -> word, read from each feature's own class names
    words = {c: [label_words.get(n, n) for n in features[c].names] for c in class_columns}
    for name in class_columns:
        features[name] = Value("string")

    def to_words(batch):
        return {c: [words[c][i] for i in batch[c]] for c in class_columns}

    return ds.map(to_words, batched=True, features=features)


def _load_hub(twin: HubTwin, seed: int) -> DatasetDict:
    from datasets import load_dataset

    with _quiet_datasets():
        raw = load_dataset(hub_source(twin), twin.config)
        splits = {}
        for split in SPLITS:
            hub_split = twin.splits.get(split, split)
            if hub_split not in raw:
                continue
            ds = raw[hub_split]
            ds = ds.rename_columns({k: v for k, v in twin.rename.items() if k in ds.column_names})
            ds = plain_labels(ds, twin.label_words)
            if twin.keep:
                ds = ds.filter(twin.keep)
            if twin.convert:
                ds = ds.map(twin.convert)
            if len(ds) > 0:
                splits[split] = ds
        if "train" not in splits:
            raise ValueError(f"{twin.hub_id}: no training split among {sorted(raw)}; map one with HubTwin.splits.")
        if "test" not in splits:
            parts = splits["train"].train_test_split(test_size=0.2, seed=seed)
            splits["train"], splits["test"] = parts["train"], parts["test"]
        if "validation" not in splits:
            parts = splits["train"].train_test_split(test_size=0.1, seed=seed)
            splits["train"], splits["validation"] = parts["train"], parts["test"]
    return DatasetDict({s: splits[s] for s in SPLITS})


def load_course_dataset(name: str, *, max_per_split: int | None = None, seed: int = 0) -> DatasetDict:
    """Load a course dataset with train, validation and test splits.

    Args:
        name: a local course dataset ("act_as", "quotes", "dialogsum", "complaints",
            "instructions", "multiple_choice") or the Hub id of its twin
            ("fka/awesome-chatgpt-prompts", "knkarthick/dialogsum", ...). A Hub twin is read
            from ``$COURSE_DATASETS_MIRROR/<hub id>`` when that variable is set.
        max_per_split: keep at most this many rows per split (the first ones).
        seed: seed for splitting Hub datasets that ship without validation/test.

    Raises:
        ValueError: an unknown name, a missing split or column, or an empty split.
        FileNotFoundError: ``COURSE_DATASETS_MIRROR`` is set but lacks the Hub id.
    """
    if name in COLUMNS:
        course_name, ds = name, _load_local(name)
    elif name in HUB_TWINS:
        course_name = HUB_TWINS[name].course_name
        ds = _load_hub(HUB_TWINS[name], seed)
    else:
        known = sorted(COLUMNS) + sorted(HUB_TWINS)
        raise ValueError(f"Unknown dataset {name!r}; use one of {known}.")
    if max_per_split is not None:
        ds = DatasetDict({s: d.select(range(min(max_per_split, len(d)))) for s, d in ds.items()})
    return check_dataset(ds, name, COLUMNS[course_name])


def shorten_to_fit(text: str, tokenizer, n_tokens: Callable[[str], int], max_tokens: int) -> tuple[str, bool]:
    """Cut ``text`` at a token boundary so that ``n_tokens(text) <= max_tokens``; returns (text, was_cut).

    ``n_tokens`` counts the tokens of the whole example built around the text (template,
    answer, chat markers), so the text alone gives way and the answer is never the part that
    is cut. Notebook 06 uses it before SFT: a trainer that truncates at ``max_length`` cuts the
    end of a long example, which is where the answer is.

    Raises:
        ValueError: the example does not fit even with the text removed.
    """
    excess = n_tokens(text) - max_tokens
    if excess <= 0:
        return text, False
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    keep = len(ids) - excess
    while keep > 0:
        short = tokenizer.decode(ids[:keep]).rstrip()
        excess = n_tokens(short) - max_tokens
        if excess <= 0:
            return short, True
        keep -= excess  # a token or two can merge differently inside the template: cut again
    raise ValueError(f"Even without its text the example takes more than {max_tokens} tokens; raise the limit.")


# Several wordings of the same request: fine-tuning on varied templates teaches the task,
# not one exact phrasing (seed 003).
PROMPT_TEMPLATES = {
    "instruction": "### Instruction:\n{instruction}\n{input}\n### Response:\n",
    "question": "Question: {instruction} {input}\nAnswer: ",
    "task": "Task: {instruction}\n{input}\nResult: ",
}


def format_prompt(example: dict[str, Any], template: str = "instruction") -> str:
    """Turn an ``instructions`` row into the text a model is given (without the answer)."""
    if template not in PROMPT_TEMPLATES:
        raise ValueError(f"template={template!r}: use one of {sorted(PROMPT_TEMPLATES)}.")
    text = PROMPT_TEMPLATES[template].format(instruction=example["instruction"], input=example.get("input") or "")
    return text.replace("\n\n###", "\n###").replace(" \n", "\n")
