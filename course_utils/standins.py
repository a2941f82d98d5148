"""Small stand-ins for the Hub datasets the notebooks default to, laid out like the real repositories.

The rehearsal (``course_utils.rehearsal``) runs the notebooks with their Colab defaults but
offline. ``build_standins()`` writes one folder per Hub id, ``<root>/<owner>/<name>/``, with
the real repository's file names and formats (CSV, JSON lines, parquet), the real split and
column names, and the real feature types: ``ClassLabel`` with its real class names (kept in
the parquet schema metadata and in the README's ``dataset_info``), list columns as lists.
``COURSE_DATASETS_MIRROR=<root>`` then makes ``course_utils.data.load_course_dataset(<hub
id>)`` call ``datasets.load_dataset("<root>/<hub id>", <config>)``: the library's own code
path (README ``configs:``, split names guessed from file names, feature decoding) runs on
them, so a schema surprise (a ``ClassLabel`` column, an unlabelled split, a list of tags)
shows up offline, before a learner meets it in Colab.

The rows are made here from the course's own data sets (``data/``) and from word lists:
no real data is copied. They imitate the real ones where the notebooks depend on it: IMDB
reviews with ``<br />`` breaks and some longer than 512 tokens, sorted by label as the real
files are; Goodreads-style tag lists in alphabetical order, with one-off tags such as
"be-yourself" ahead of the topical ones; MMLU's letter classes. Sizes are small (the whole
build takes a second or two) but every split a notebook scores has a few hundred rows at
most and a hundred at least.

``SOURCES`` says, per dataset, where the layout and schema facts come from. They were read
from the dataset cards (README YAML) and file listings as published on the Hub, or, where
marked, are the card as remembered and not re-checked.
"""

from __future__ import annotations

import csv
import hashlib
import random
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from course_utils.data import read_jsonl, write_jsonl
from course_utils.paths import cache_dir, data_dir

# Bump to force a rebuild; the stamp also hashes this file and the course data it reads.
STANDINS_VERSION = 1
STAMP_FILE = "STANDINS_STAMP"
SEED = 2024

SOURCES = {
    "fka/awesome-chatgpt-prompts": (
        "One file, prompts.csv, no `configs:` in the card, so datasets puts it all in a 'train' split. "
        "Columns act, prompt, for_devs, type, contributor: the header of prompts.csv in the GitHub "
        "repository f/awesome-chatgpt-prompts, which the Hub dataset mirrors (older snapshots had only "
        "act and prompt). Rows: the course's act_as set."
    ),
    "Abirate/english_quotes": (
        "One file, quotes.jsonl: quote (string), author (string), tags (list of strings); one 'train' "
        "split of 2,508 rows (card and viewer). Goodreads tags are listed in alphabetical order. Rows: "
        "the course's quotes, with Goodreads-like tag lists (one-off tags first, ~10% without any topic tag)."
    ),
    "knkarthick/dialogsum": (
        "train.csv, validation.csv, test.csv (12,460 / 500 / 1,500 rows), columns id, dialogue, summary, "
        "topic; split names come from the file names. From the card and its copies on the Hub, as "
        "remembered (not re-checked: whether the repository also holds a hold-out file). Rows: the course's "
        "dialogsum set."
    ),
    "cornell-movie-review-data/rotten_tomatoes": (
        "train.parquet, validation.parquet, test.parquet (8,530 / 1,066 / 1,066 rows); card `dataset_info`: "
        "text (string), label ClassLabel names ['neg', 'pos'], no `configs:`. Features and sizes from the "
        "card; the parquet file names as remembered. Rows: short lower-cased review sentences made from word "
        "lists, tokenised like the real ones ('it 's', ' , '), balanced."
    ),
    "stanfordnlp/imdb": (
        "Config plain_text: plain_text/{train,test,unsupervised}-00000-of-00001.parquet (25,000 / 25,000 / "
        "50,000 rows); text (string), label ClassLabel names ['neg', 'pos']; the unsupervised split is "
        "labelled -1. From the card and the Hub's file listing. Rows: reviews made from sentence lists, "
        "with <br /><br /> between paragraphs, some longer than 512 tokens, train and test sorted by label "
        "as in the real files."
    ),
    "databricks/databricks-dolly-15k": (
        "One file, databricks-dolly-15k.jsonl: instruction, context, response, category (all strings, "
        "context '' when there is none); one 'train' split of 15,011 rows; categories open_qa, closed_qa, "
        "general_qa, classification, brainstorming, information_extraction, summarization, "
        "creative_writing. From the card. Rows: the course's instructions, dialogues and quotes."
    ),
    "cais/mmlu": (
        "One config per subject plus 'all'; config all: all/{test,validation,dev,auxiliary_train}-00000-"
        "of-00001.parquet (14,042 / 1,531 / 285 / 99,842 rows); question (string), subject (string), "
        "choices (list of strings), answer ClassLabel names ['A', 'B', 'C', 'D']; dev holds 5 questions "
        "per subject. From the card's `dataset_info` and `configs:`. Rows: the course's multiple_choice set; "
        "one subject config (high_school_geography) is written too."
    ),
}

# The course's subjects under MMLU subject names.
MMLU_SUBJECTS = {
    "geography": "high_school_geography",
    "vocabulary": "miscellaneous",
    "grammar": "miscellaneous",
    "categories": "miscellaneous",
}
# fmt: off
# Course quote subjects that are not in course_utils.data.QUOTE_TOPICS, and the topic tag a
# Goodreads user might have added instead.
QUOTE_TOPIC_OF = {
    "kindness": "inspirational", "patience": "wisdom", "honesty": "truth", "curiosity": "knowledge",
    "work": "success", "silence": "wisdom", "laughter": "humor", "learning": "education", "travel": "life",
    "failure": "success", "doubt": "philosophy", "practice": "success", "memory": "life", "home": "life",
    "trust": "friendship", "rest": "happiness",
}
# Tags that are not topics (one-off, or about the quote rather than its subject).
ODD_TAGS = ["ataraxy", "attributed-no-source", "be-yourself", "best", "inspirational-quotes", "life-lessons",
            "misattributed", "motivational", "paraphrased", "quotes", "self-help", "words-to-live-by"]
# fmt: on


def _write_readme(folder: Path, yaml_lines: list[str], hub_id: str) -> None:
    body = (
        f"# Stand-in for {hub_id}\n\nWritten by `course_utils.standins` for the course's rehearsal: the real "
        f"repository's layout and schema, rows made by the course. Not the real data.\n\n{SOURCES[hub_id]}\n"
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text("---\n" + "\n".join(yaml_lines) + "\n---\n\n" + body, encoding="utf-8")


def _write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def _write_parquet(path: Path, rows: list[dict], features) -> int:
    """Write rows with datasets' own writer (the feature types go into the schema metadata); returns bytes in Arrow."""
    from datasets import Dataset

    path.parent.mkdir(parents=True, exist_ok=True)
    ds = Dataset.from_list(rows, features=features)
    ds.to_parquet(str(path))
    return ds.data.nbytes


def _dataset_info_yaml(features_yaml: list[str], split_sizes: dict[str, tuple[int, int]], config: str | None) -> list:
    """A card's ``dataset_info`` entry. The split sizes are the stand-in's own: datasets checks them on load."""
    body = ["features:", *features_yaml, "splits:"]
    for name, (n_bytes, n_rows) in split_sizes.items():
        body += [f"- name: {name}", f"  num_bytes: {n_bytes}", f"  num_examples: {n_rows}"]
    if config is None:
        return body
    return [f"- config_name: {config}", *("  " + line for line in body)]


def _class_label_yaml(name: str, names: list[str]) -> list[str]:
    return [f"- name: {name}", "  dtype:", "    class_label:", "      names:"] + [
        f"        '{i}': {n}" for i, n in enumerate(names)
    ]


# --------------------------------------------------------------------------- the seven datasets
def _awesome_prompts(root: Path, rng: random.Random) -> None:
    hub_id = "fka/awesome-chatgpt-prompts"
    rows, seen = [], set()
    for split in ("train", "validation", "test"):
        for row in read_jsonl(data_dir() / "act_as" / f"{split}.jsonl"):
            if row["prompt"] in seen:
                continue
            seen.add(row["prompt"])
            devs = any(w in row["act"].lower() for w in ("programmer", "tech", "math"))
            rows.append(
                {
                    "act": row["act"],
                    "prompt": row["prompt"],
                    "for_devs": "TRUE" if devs else "FALSE",
                    "type": "TEXT",
                    "contributor": rng.choice(["f", "ada-q", "benrowe", "kofi-a", "iris-d"]),
                }
            )
    rng.shuffle(rows)
    folder = root / hub_id
    _write_csv(folder / "prompts.csv", rows, ["act", "prompt", "for_devs", "type", "contributor"])
    _write_readme(folder, ["license: cc0-1.0", "task_categories:", "- question-answering"], hub_id)


def _english_quotes(root: Path, rng: random.Random) -> None:
    from course_utils.data import QUOTE_TOPICS

    hub_id = "Abirate/english_quotes"
    rows = []
    for split in ("train", "validation", "test"):
        for row in read_jsonl(data_dir() / "quotes" / f"{split}.jsonl"):
            subject = row["tags"][0]
            tags = {subject, *rng.sample(ODD_TAGS, rng.randint(0, 3))}
            roll = rng.random()
            if roll < 0.03:
                tags = set()  # a few quotes carry no tag at all
            elif roll < 0.12:
                tags = {t for t in tags if t not in QUOTE_TOPICS} | {rng.choice(ODD_TAGS)}  # no topic tag
            else:
                tags.add(subject if subject in QUOTE_TOPICS else QUOTE_TOPIC_OF[subject])
                if rng.random() < 0.3:
                    tags.add(rng.choice(["life", "inspirational", "love"]))  # a broad tag beside the specific one
            rows.append({"quote": row["quote"], "author": row["author"], "tags": sorted(tags)})
    rng.shuffle(rows)
    folder = root / hub_id
    write_jsonl(folder / "quotes.jsonl", rows)
    _write_readme(folder, ["license: cc-by-4.0", "task_categories:", "- text-classification"], hub_id)


def _dialogsum(root: Path, rng: random.Random) -> None:
    hub_id = "knkarthick/dialogsum"
    folder = root / hub_id
    for split in ("train", "validation", "test"):
        rows = read_jsonl(data_dir() / "dialogsum" / f"{split}.jsonl")
        rows = [{**r, "id": f"{split}_{i}"} for i, r in enumerate(rows)]
        _write_csv(folder / f"{split}.csv", rows, ["id", "dialogue", "summary", "topic"])
    _write_readme(folder, ["license: cc-by-nc-sa-4.0", "task_categories:", "- summarization"], hub_id)


# Word lists for the two sentiment sets.
# fmt: off
GOOD = ["funny", "moving", "smart", "charming", "gripping", "warm", "clever", "touching", "thrilling", "heartfelt",
        "witty", "confident", "gorgeous", "tender", "sharp", "lively", "inventive", "absorbing", "delightful", "bold"]
BAD = ["dull", "tedious", "clumsy", "lifeless", "predictable", "muddled", "overlong", "shallow", "flat", "forgettable",
       "messy", "bland", "pretentious", "sluggish", "silly", "empty", "tired", "incoherent", "joyless", "lazy"]
KINDS = ["film", "movie", "picture", "drama", "comedy", "thriller", "story", "documentary", "romance", "satire"]
PARTS = ["script", "cast", "direction", "dialogue", "ending", "score", "camera work", "pacing", "plot", "lead"]
RT_GOOD = [
    "a {g} and {g2} {k} that earns every one of its laughs .",
    "the {p} is {g} , and the {k} never loses its nerve .",
    "even when the {p} wobbles , this {g} {k} stays {g2} .",
    "one of the most {g} {k}s of the year , and one of the most {g2} .",
    "it 's {g} , {g2} and , above all , honest .",
    "a {g} little {k} with a {g2} {p} and a big heart .",
    "you may not expect much from a {k} like this , but it is {g} and {g2} .",
]
RT_BAD = [
    "a {b} , {b2} {k} that overstays its welcome .",
    "the {p} is {b} and the {k} never recovers .",
    "despite a {g} {p} , the {k} is {b} and {b2} .",
    "it 's hard to care about a {k} this {b} .",
    "what should have been a {g} {k} ends up merely {b} .",
    "a {b} {k} with a {b2} {p} and nothing to say .",
    "the {k} is so {b} that even its {g} moments feel {b2} .",
]
# fmt: on


def _rt_sentence(rng: random.Random, positive: bool) -> str:
    g, g2 = rng.sample(GOOD, 2)
    b, b2 = rng.sample(BAD, 2)
    template = rng.choice(RT_GOOD if positive else RT_BAD)
    return template.format(g=g, g2=g2, b=b, b2=b2, k=rng.choice(KINDS), p=rng.choice(PARTS))


def _unique(make: Callable[[], str], n: int, seen: set[str]) -> list[str]:
    out = []
    while len(out) < n:
        text = make()
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def _rotten_tomatoes(root: Path, rng: random.Random) -> None:
    from datasets import ClassLabel, Features, Value

    hub_id = "cornell-movie-review-data/rotten_tomatoes"
    features = Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    folder, seen, sizes = root / hub_id, set(), {}
    for split, n in (("train", 800), ("validation", 200), ("test", 400)):
        rows = [{"text": t, "label": 1} for t in _unique(lambda: _rt_sentence(rng, True), n // 2, seen)]
        rows += [{"text": t, "label": 0} for t in _unique(lambda: _rt_sentence(rng, False), n // 2, seen)]
        rng.shuffle(rows)
        sizes[split] = (_write_parquet(folder / f"{split}.parquet", rows, features), len(rows))
    info = _dataset_info_yaml(
        ["- name: text", "  dtype: string", *_class_label_yaml("label", ["neg", "pos"])], sizes, None
    )
    _write_readme(
        folder,
        [
            "license: unknown",
            "task_categories:",
            "- text-classification",
            "dataset_info:",
            *["  " + line for line in info],
        ],
        hub_id,
    )


# fmt: off
NAMES = ["Anna", "Ben", "Carla", "David", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jack", "Kira", "Liam"]
JOBS = ["a retired boxer", "a small-town teacher", "a night-shift nurse", "a jazz pianist", "a young lawyer",
        "a lighthouse keeper", "a failed novelist", "a detective near retirement", "a chef", "a farmer"]
EVENTS = ["finds a letter that changes everything", "has to return home after twenty years",
          "is drawn into a crime she did not commit", "tries to save the family business",
          "falls for the wrong person at the worst moment", "sets out across the country with a stranger"]
OPENINGS = ["I rented this {k} on a whim last weekend.", "I saw this {k} at a festival and finally watched it again.",
            "My friends kept telling me to watch this {k}.", "I went in knowing nothing about this {k}.",
            "I have seen a lot of films like this one, so my expectations were modest."]
GOOD_LINES = ["The acting is {g} throughout, especially from {n}.", "The {p} is {g} and never talks down to you.",
              "Every scene feels {g}, and the {p} holds it all together.", "I laughed, I cried, and I was never bored.",
              "The last twenty minutes are as {g} as anything I have seen this year.",
              "It is rare to find a {k} this {g} and this {g2} at the same time.",
              "{n} gives the performance of a career, {g} and {g2}."]
BAD_LINES = ["The acting is {b} throughout, even from {n}.", "The {p} is {b} and goes nowhere.",
             "Every scene feels {b}, and the {p} makes it worse.", "I checked my watch more than once.",
             "The last twenty minutes are as {b} as anything I have seen this year.",
             "It is rare to find a {k} this {b} and this {b2} at the same time.",
             "{n} does what she can, but the material is {b} and {b2}."]
MIDDLE_LINES = ["The story follows {n}, {j} who {e}.", "Without giving too much away, {n} {e}.",
                "The {p} takes its time, which some viewers will mind more than others.",
                "There is a subplot about {n2} that I will not spoil here.",
                "Some of the dialogue sounds like it was written for the stage."]
# fmt: on


def _imdb_review(rng: random.Random, positive: bool, long: bool) -> str:
    def line(pool):
        g, g2 = rng.sample(GOOD, 2)
        b, b2 = rng.sample(BAD, 2)
        n, n2 = rng.sample(NAMES, 2)
        return rng.choice(pool).format(
            g=g,
            g2=g2,
            b=b,
            b2=b2,
            n=n,
            n2=n2,
            k=rng.choice(KINDS),
            p=rng.choice(PARTS),
            j=rng.choice(JOBS),
            e=rng.choice(EVENTS),
        )

    tone = GOOD_LINES if positive else BAD_LINES
    paragraphs = [[line(OPENINGS), line(MIDDLE_LINES)]]
    for _ in range(rng.randint(9, 13) if long else rng.randint(1, 3)):
        paragraphs.append([line(rng.choice([tone, tone, MIDDLE_LINES])) for _ in range(rng.randint(3, 6))])
    score = rng.randint(7, 10) if positive else rng.randint(1, 4)
    paragraphs[-1].append(f"{score}/10.")
    return "<br /><br />".join(" ".join(p) for p in paragraphs)


def _imdb(root: Path, rng: random.Random) -> None:
    from datasets import ClassLabel, Features, Value

    hub_id = "stanfordnlp/imdb"
    features = Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    folder, seen, sizes = root / hub_id, set(), {}
    for split, n in (("train", 400), ("test", 300), ("unsupervised", 60)):
        rows = []
        # The real train and test files hold all "neg" rows, then all "pos"; unsupervised is unlabelled (-1).
        for label, count in [(0, n // 2), (1, n // 2)] if split != "unsupervised" else [(-1, n)]:

            def review(label=label):
                positive = label == 1 if label >= 0 else rng.random() < 0.5
                return _imdb_review(rng, positive, long=rng.random() < 0.1)

            rows += [{"text": t, "label": label} for t in _unique(review, count, seen)]
        path = folder / "plain_text" / f"{split}-00000-of-00001.parquet"
        sizes[split] = (_write_parquet(path, rows, features), len(rows))
    info = _dataset_info_yaml(
        ["- name: text", "  dtype: string", *_class_label_yaml("label", ["neg", "pos"])], sizes, "plain_text"
    )
    configs = ["configs:", "- config_name: plain_text", "  data_files:"]
    for split in sizes:
        configs += [f"  - split: {split}", f"    path: plain_text/{split}-*"]
    configs.append("  default: true")
    _write_readme(
        folder,
        ["license: other", "task_categories:", "- text-classification", "dataset_info:", *info, *configs],
        hub_id,
    )


def _dolly(root: Path, rng: random.Random) -> None:
    hub_id = "databricks/databricks-dolly-15k"
    rows = []
    for split in ("train", "validation", "test"):
        for r in read_jsonl(data_dir() / "instructions" / f"{split}.jsonl"):
            category = {
                "capital": "open_qa",
                "antonym": "open_qa",
                "plural": "general_qa",
                "category": "classification",
            }[r["task"]]
            context = ""
            if r["task"] == "capital" and rng.random() < 0.4:  # closed QA: the answer is in the context
                category = "closed_qa"
                context = f"Many people visit {r['output']} every year. It is the seat of the national government."
            rows.append(
                {"instruction": r["instruction"], "context": context, "response": r["output"], "category": category}
            )
    for r in read_jsonl(data_dir() / "dialogsum" / "validation.jsonl")[:80]:
        rows.append(
            {
                "instruction": "Summarize this conversation in one sentence.",
                "context": r["dialogue"],
                "response": r["summary"],
                "category": "summarization",
            }
        )
    for r in read_jsonl(data_dir() / "quotes" / "validation.jsonl")[:40]:
        rows.append(
            {
                "instruction": f"Write a short saying about {r['topic']}.",
                "context": "",
                "response": r["quote"].strip("\u201c\u201d"),
                "category": "creative_writing",
            }
        )
    rng.shuffle(rows)
    folder = root / hub_id
    write_jsonl(folder / "databricks-dolly-15k.jsonl", rows)
    _write_readme(folder, ["license: cc-by-sa-3.0", "task_categories:", "- question-answering"], hub_id)


def _mmlu(root: Path, rng: random.Random) -> None:
    from datasets import ClassLabel, Features, Sequence, Value

    hub_id = "cais/mmlu"
    features = Features(
        {
            "question": Value("string"),
            "subject": Value("string"),
            "choices": Sequence(Value("string")),
            "answer": ClassLabel(names=["A", "B", "C", "D"]),
        }
    )
    rows = []
    for split in ("train", "validation", "test"):
        for r in read_jsonl(data_dir() / "multiple_choice" / f"{split}.jsonl"):
            rows.append(
                {
                    "question": r["question"],
                    "subject": MMLU_SUBJECTS[r["subject"]],
                    "choices": r["choices"],
                    "answer": r["answer"],
                    "course_subject": r["subject"],
                }
            )
    rng.shuffle(rows)
    dev, rest = [], []
    for r in rows:  # dev: five questions per (course) subject, as MMLU's dev has five per subject
        (dev if sum(d["course_subject"] == r["course_subject"] for d in dev) < 5 else rest).append(r)
    n_test, n_val = int(0.62 * len(rest)), int(0.2 * len(rest))

    def by_subject(part: list[dict]) -> list[dict]:  # MMLU's test and validation files are sorted by subject
        return sorted(part, key=lambda r: r["subject"])

    splits = {
        "test": by_subject(rest[:n_test]),
        "validation": by_subject(rest[n_test : n_test + n_val]),
        "dev": dev,
        "auxiliary_train": [{**r, "subject": ""} for r in rest[n_test + n_val :]],
    }
    folder = root / hub_id
    features_yaml = [
        "- name: question",
        "  dtype: string",
        "- name: subject",
        "  dtype: string",
        "- name: choices",
        "  sequence: string",
        *_class_label_yaml("answer", ["A", "B", "C", "D"]),
    ]
    info, configs = [], ["configs:"]
    for config in ("all", "high_school_geography"):
        sizes = {}
        for split, split_rows in splits.items():
            if config != "all" and split == "auxiliary_train":
                continue  # the subject configs have no auxiliary_train
            chosen = [
                {k: v for k, v in r.items() if k != "course_subject"}
                for r in split_rows
                if config == "all" or r["subject"] == config
            ]
            path = folder / config / f"{split}-00000-of-00001.parquet"
            sizes[split] = (_write_parquet(path, chosen, features), len(chosen))
        info += _dataset_info_yaml(features_yaml, sizes, config)
        configs += [f"- config_name: {config}", "  data_files:"]
        for split in sizes:
            configs += [f"  - split: {split}", f"    path: {config}/{split}-*"]
    _write_readme(
        folder, ["license: mit", "task_categories:", "- question-answering", "dataset_info:", *info, *configs], hub_id
    )


BUILDERS = {
    "fka/awesome-chatgpt-prompts": _awesome_prompts,
    "Abirate/english_quotes": _english_quotes,
    "knkarthick/dialogsum": _dialogsum,
    "cornell-movie-review-data/rotten_tomatoes": _rotten_tomatoes,
    "stanfordnlp/imdb": _imdb,
    "databricks/databricks-dolly-15k": _dolly,
    "cais/mmlu": _mmlu,
}


# --------------------------------------------------------------------------- build and cache
def standins_stamp() -> str:
    """A hash of everything the stand-ins are made from: this module, its version, the course data it reads."""
    digest = hashlib.sha256(f"{STANDINS_VERSION}-{SEED}".encode())
    digest.update(Path(__file__).read_bytes())
    for name in ("act_as", "quotes", "dialogsum", "instructions", "multiple_choice"):
        for path in sorted((data_dir() / name).glob("*.jsonl")):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_standins(out_dir: Path | None = None) -> Path:
    """Write the stand-ins (one folder per Hub id) and return their root, for ``COURSE_DATASETS_MIRROR``.

    Deterministic (fixed seeds). A root whose stamp file matches :func:`standins_stamp` is
    reused as it is; otherwise it is rebuilt in a temporary folder and moved into place.

    Args:
        out_dir: where to write; default ``course_utils.paths.cache_dir() / "hub_standins"``.
    """
    root = Path(out_dir) if out_dir is not None else cache_dir() / "hub_standins"
    stamp = standins_stamp()
    if (root / STAMP_FILE).is_file() and (root / STAMP_FILE).read_text().strip() == stamp:
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".standins-", dir=root.parent))
    try:
        from datasets.utils.tqdm import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

        quiet = are_progress_bars_disabled()
        disable_progress_bars()  # to_parquet's bar
        try:
            for hub_id, build in BUILDERS.items():
                build(tmp, random.Random(f"{SEED}-{hub_id}"))
        finally:
            if not quiet:
                enable_progress_bars()
        (tmp / STAMP_FILE).write_text(stamp + "\n")
        if (root / STAMP_FILE).is_file() and (root / STAMP_FILE).read_text().strip() == stamp:
            return root  # another process finished the same build meanwhile
        shutil.rmtree(root, ignore_errors=True)
        tmp.rename(root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root
