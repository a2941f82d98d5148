"""The course datasets: local JSONL in data/ (offline) or their Hub twins (Colab).

``load_course_dataset(name)`` returns a ``DatasetDict`` with train, validation and test
splits and the same columns whichever source it came from, so a notebook's code does not
change when its ``DATASET`` parameter does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from datasets import Dataset, DatasetDict

from course_utils.paths import data_dir

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class HubTwin:
    """How a Hub dataset maps onto a course dataset's columns.

    Args:
        hub_id: the dataset id on the Hub.
        course_name: the local dataset with the same columns.
        config: the Hub configuration name, if the dataset has several.
        rename: Hub column -> course column.
        convert: a function applied to every row after renaming (e.g. label ids to names).
        keep: a row filter (e.g. drop unlabelled rows).
    """

    hub_id: str
    course_name: str
    config: str | None = None
    rename: dict[str, str] = field(default_factory=dict)
    convert: Callable[[dict], dict] | None = None
    keep: Callable[[dict], bool] | None = None


# The columns each course dataset must have (checked on every load).
COLUMNS = {
    "act_as": ["act", "prompt"],
    "quotes": ["quote", "author"],
    "dialogsum": ["dialogue", "summary"],
    "complaints": ["text", "label"],
    "instructions": ["task", "instruction", "input", "output"],
    "multiple_choice": ["question", "choices", "answer"],
}
RAFT_LABELS = {1: "complaint", 2: "no complaint"}
IMDB_LABELS = {0: "negative", 1: "positive"}
HUB_TWINS = {
    twin.hub_id: twin
    for twin in [
        HubTwin("fka/awesome-chatgpt-prompts", "act_as"),
        HubTwin("Abirate/english_quotes", "quotes"),
        HubTwin("knkarthick/dialogsum", "dialogsum"),
        HubTwin(
            "ought/raft",
            "complaints",
            config="twitter_complaints",
            rename={"Tweet text": "text", "Label": "label"},
            convert=lambda row: {"label": RAFT_LABELS[row["label"]]},
            keep=lambda row: row["label"] in RAFT_LABELS,
        ),
        # Any labelled text set with text/label columns fits the "complaints" shape (notebook 05).
        HubTwin(
            "stanfordnlp/imdb",
            "complaints",
            convert=lambda row: {"label": IMDB_LABELS[row["label"]]},
            keep=lambda row: row["label"] in IMDB_LABELS,  # drops the unlabelled "unsupervised" split's -1
        ),
        HubTwin(
            "databricks/databricks-dolly-15k",
            "instructions",
            rename={"context": "input", "response": "output", "category": "task"},
        ),
        HubTwin("cais/mmlu", "multiple_choice", config="all"),
    ]
}


def check_dataset(ds: DatasetDict, name: str, columns: list[str]) -> DatasetDict:
    """Raise one clear line if a split is missing or empty, or lacks a needed column."""
    for split in SPLITS:
        if split not in ds:
            raise ValueError(f"Dataset {name!r} has no {split!r} split (has {sorted(ds)}).")
        if len(ds[split]) == 0:
            raise ValueError(f"Dataset {name!r}: the {split!r} split is empty; add examples or pick another split.")
        missing = [c for c in columns if c not in ds[split].column_names]
        if missing:
            raise ValueError(
                f"Dataset {name!r} split {split!r} lacks column(s) {missing} (has {ds[split].column_names}); "
                "rename them with dataset.rename_column(old, new)."
            )
    return ds


def read_jsonl(path) -> list[dict[str, Any]]:
    """Rows of a JSON-lines file."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _load_local(name: str) -> DatasetDict:
    folder = data_dir() / name
    return DatasetDict(
        {s: Dataset.from_list(read_jsonl(folder / f"{s}.jsonl")) for s in SPLITS if (folder / f"{s}.jsonl").is_file()}
    )


def _load_hub(twin: HubTwin, seed: int) -> DatasetDict:
    from datasets import load_dataset

    raw = load_dataset(twin.hub_id, twin.config)
    if twin.rename:
        raw = raw.rename_columns({k: v for k, v in twin.rename.items() if k in raw[next(iter(raw))].column_names})
    if twin.keep:
        raw = raw.filter(twin.keep)
    if twin.convert:
        raw = raw.map(twin.convert)
    splits = {s: raw[s] for s in SPLITS if s in raw and len(raw[s]) > 0}
    if "train" not in splits:  # e.g. MMLU: use its auxiliary/dev data as train if present
        splits["train"] = raw[next(s for s in raw if s not in splits)]
    if "test" not in splits:
        parts = splits["train"].train_test_split(test_size=0.2, seed=seed)
        splits["train"], splits["test"] = parts["train"], parts["test"]
    if "validation" not in splits:
        parts = splits["train"].train_test_split(test_size=0.1, seed=seed)
        splits["train"], splits["validation"] = parts["train"], parts["test"]
    return DatasetDict(splits)


def load_course_dataset(name: str, *, max_per_split: int | None = None, seed: int = 0) -> DatasetDict:
    """Load a course dataset with train, validation and test splits.

    Args:
        name: a local course dataset ("act_as", "quotes", "dialogsum", "complaints",
            "instructions", "multiple_choice") or the Hub id of its twin
            ("fka/awesome-chatgpt-prompts", "knkarthick/dialogsum", ...).
        max_per_split: keep at most this many rows per split (the first ones).
        seed: seed for splitting Hub datasets that ship without validation/test.

    Raises:
        ValueError: an unknown name, a missing split or column, or an empty split.
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
