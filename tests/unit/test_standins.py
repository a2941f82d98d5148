"""The Hub stand-ins, read through datasets' own loader via COURSE_DATASETS_MIRROR, give the course columns."""

import ast
import hashlib
import json

import datasets
import pytest
from datasets import ClassLabel, load_dataset

from course_utils.data import COLUMNS, HUB_TWINS, MIRROR_ENV, QUOTE_TOPICS, SPLITS, hub_source, load_course_dataset
from course_utils.paths import repo_root
from course_utils.standins import BUILDERS, SOURCES, STAMP_FILE, build_standins

CLASSIFICATION = "cornell-movie-review-data/rotten_tomatoes"


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """Stand-ins built once into a temporary folder; datasets' cache in another one."""
    root = build_standins(tmp_path_factory.mktemp("standins") / "hub")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(MIRROR_ENV, str(root))
        mp.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path_factory.mktemp("hf_datasets_cache"))
        yield root


def _notebook_dataset_defaults() -> set[str]:
    """Hub ids assigned to *DATASET* names in the notebooks' parameters cells."""
    found = set()
    for path in sorted((repo_root() / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if "parameters" not in cell.get("metadata", {}).get("tags", []):
                continue
            for node in ast.walk(ast.parse("".join(cell["source"]))):
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                    names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                    value = node.value.value
                    if any("DATASET" in n for n in names) and isinstance(value, str) and "/" in value:
                        found.add(value)
    return found


def test_every_hub_default_of_the_notebooks_has_a_twin_a_standin_and_a_source_note():
    defaults = _notebook_dataset_defaults()
    assert CLASSIFICATION in defaults and "stanfordnlp/imdb" in defaults
    assert defaults <= set(HUB_TWINS)
    assert set(BUILDERS) == set(SOURCES) == set(HUB_TWINS)
    assert all(len(note) > 80 for note in SOURCES.values())


@pytest.mark.parametrize("hub_id", sorted(HUB_TWINS))
def test_each_standin_loads_through_datasets_with_the_course_columns(mirror, hub_id):
    twin = HUB_TWINS[hub_id]
    assert hub_source(twin) == str(mirror / hub_id)
    ds = load_course_dataset(hub_id)
    assert tuple(ds) == SPLITS
    assert all(len(split) > 0 for split in ds.values())
    assert len(ds["test"]) >= 90  # a score on fewer rows says little
    for split in ds.values():
        assert set(COLUMNS[twin.course_name]) <= set(split.column_names)
    if twin.course_name == "complaints":
        for split in ds.values():
            assert split.features["label"].dtype == "string"
            assert set(split["label"]) == {"negative", "positive"}
    if twin.course_name == "multiple_choice":
        for split in ds.values():
            assert all(
                type(a) is int and 0 <= a < len(c) for a, c in zip(split["answer"], split["choices"], strict=True)
            )
    if twin.course_name == "quotes":
        for split in ds.values():
            assert all(row["topic"] in QUOTE_TOPICS and row["topic"] in row["tags"] for row in split)


def test_the_classification_set_is_big_enough_to_score(mirror):
    ds = load_course_dataset(CLASSIFICATION)
    assert len(ds["test"]) >= 200 and len(ds["train"]) >= 500 and len(ds["validation"]) >= 100
    labels = ds["test"]["label"]
    assert max(labels.count(v) for v in set(labels)) / len(labels) <= 0.55  # balanced: the majority is no shortcut


@pytest.mark.parametrize("hub_id", ["stanfordnlp/imdb", CLASSIFICATION, "cais/mmlu"])
def test_class_labels_are_read_as_names_not_re_encoded(mirror, hub_id):
    """Regression: a plain map over a ClassLabel column failed with 'Invalid string class label negative'."""
    twin = HUB_TWINS[hub_id]
    raw = load_dataset(str(mirror / hub_id), twin.config)
    feature = raw["test"].features["answer" if hub_id == "cais/mmlu" else "label"]
    assert isinstance(feature, ClassLabel)  # the stand-in keeps the real feature type ...
    ds = load_course_dataset(hub_id)
    if hub_id == "cais/mmlu":
        assert feature.names == ["A", "B", "C", "D"] and ds["test"]["answer"] == raw["test"]["answer"]
        return
    assert feature.names == ["neg", "pos"]  # ... with the real class names
    assert ds["test"]["label"].count("negative") == list(raw["test"]["label"]).count(0)
    with pytest.raises(ValueError, match="Invalid string class label"):
        raw["test"].map(lambda row: {"label": "negative"})


def test_imdb_is_real_shaped_long_sorted_and_has_an_unlabelled_split(mirror):
    raw = load_dataset(str(mirror / "stanfordnlp/imdb"))
    assert set(raw) == {"train", "test", "unsupervised"} and set(raw["unsupervised"]["label"]) == {-1}
    train_labels = list(raw["train"]["label"])
    assert train_labels == sorted(train_labels)  # all neg, then all pos, as in the real files
    assert max(len(t.split()) for t in raw["train"]["text"]) > 600  # past 512 tokens with any tokenizer
    assert any("<br /><br />" in t for t in raw["train"]["text"])
    course = load_course_dataset("stanfordnlp/imdb")
    assert len(course["train"]) + len(course["validation"]) == len(raw["train"])  # unsupervised is not used


def test_quote_tags_start_with_odd_tags_and_quotes_without_a_topic_are_dropped(mirror):
    raw = load_dataset(str(mirror / "Abirate/english_quotes"))["train"]
    assert raw.features["tags"].feature.dtype == "string"  # a list of strings
    first_tags = [row["tags"][0] for row in raw if row["tags"]]
    assert any(tag not in QUOTE_TOPICS for tag in first_tags)  # tags[0] is not a topic
    assert all(row["tags"] == sorted(row["tags"]) for row in raw)
    course = load_course_dataset("Abirate/english_quotes")
    assert 0.7 * len(raw) < sum(len(split) for split in course.values()) < len(raw)


def test_mmlu_uses_its_dev_split_as_train_and_the_all_config(mirror):
    raw = load_dataset(str(mirror / "cais/mmlu"), "all")
    assert set(raw) == {"test", "validation", "dev", "auxiliary_train"}
    course = load_course_dataset("cais/mmlu")
    assert course["train"]["question"] == raw["dev"]["question"]
    assert len(load_dataset(str(mirror / "cais/mmlu"), "high_school_geography")["test"]) < len(raw["test"])


def test_a_hub_id_missing_from_the_mirror_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setenv(MIRROR_ENV, str(tmp_path))
    with pytest.raises(FileNotFoundError, match="'stanfordnlp/imdb' is not in the dataset mirror") as info:
        load_course_dataset("stanfordnlp/imdb")
    assert "\n" not in str(info.value) and "build_standins" in str(info.value)
    with pytest.raises(ValueError, match="Unknown dataset 'someone/unknown'") as info:
        load_course_dataset("someone/unknown")
    assert "\n" not in str(info.value)


def test_without_the_mirror_the_hub_id_is_loaded(monkeypatch):
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    assert all(hub_source(twin) == hub_id for hub_id, twin in HUB_TWINS.items())


def _tree_digest(root):
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()


def test_the_build_is_cached_and_deterministic(mirror, tmp_path):
    stamp = (mirror / STAMP_FILE).read_text()
    before = {p: p.stat().st_mtime_ns for p in mirror.rglob("*") if p.is_file()}
    assert build_standins(mirror) == mirror  # stamp matches: nothing rewritten
    assert {p: p.stat().st_mtime_ns for p in mirror.rglob("*") if p.is_file()} == before
    again = build_standins(tmp_path / "again")
    assert (again / STAMP_FILE).read_text() == stamp and _tree_digest(again) == _tree_digest(mirror)
    (again / STAMP_FILE).write_text("stale\n")
    (again / "stanfordnlp" / "imdb" / "README.md").unlink()
    assert _tree_digest(build_standins(again)) == _tree_digest(mirror)  # a stale stamp rebuilds
