"""Project rules that keep the course runnable: pins in one place, clean notebooks, a profile for each.

The Colab setup cells and badges are checked in test_colab.py.
"""

import json
import re
from pathlib import Path

import pytest

from course_utils.colab import requirement_pins
from course_utils.paths import repo_root
from course_utils.profiles import TINY_PROFILE
from course_utils.runner import notebook_paths

ROOT = repo_root()
NOTEBOOKS = notebook_paths()


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def tagged(path: Path, tag: str) -> list[dict]:
    return [c for c in cells(path) if tag in c.get("metadata", {}).get("tags", [])]


def test_requirements_pin_everything_exactly():
    text = (ROOT / "requirements.txt").read_text()
    lines = [ln.split("#")[0].strip() for ln in text.splitlines() if ln.split("#")[0].strip()]
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][^\s]*", ln) for ln in lines), lines
    assert requirement_pins()["torch"] == "2.13.0"
    assert "requirements.txt" in (ROOT / "environment.yml").read_text()


def test_there_are_notebooks_and_each_has_a_tiny_profile():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_environment_check.ipynb"
    assert {p.stem for p in NOTEBOOKS} == set(TINY_PROFILE)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_clean_and_follows_the_anatomy(path):
    assert " " not in path.name
    code = [c for c in cells(path) if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), "strip outputs"
    assert len(tagged(path, "parameters")) == 1
    params = "".join(tagged(path, "parameters")[0]["source"])
    assert "OUTPUT_DIR" in params and re.search(r"^[A-Z_0-9]+ = ", params, re.M)
    first = "".join(cells(path)[0]["source"])
    assert first.startswith("# ") and f"/blob/main/notebooks/{path.name})" in first  # badge to this file
    for before, cell in zip(cells(path), cells(path)[1:], strict=False):  # a markdown cell before every code cell
        if cell["cell_type"] == "code" and not tagged_cell(cell, "colab-setup"):
            assert before["cell_type"] == "markdown" or is_check_pair(before, cell), "".join(cell["source"])[:80]
    text = "\n".join("".join(c["source"]) for c in cells(path))
    assert "metrics.json" in text and "## Exercises" in text and "trust_remote_code=True" not in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_bitsandbytes_import_note_is_quieted_before_anything_imports_it(path):
    """On CPUs with AVX512-BF16 bitsandbytes logs a warning when it is imported (peft imports it).

    A logger level set after that import is too late, and machines without AVX512-BF16 never show
    the warning, so the order is checked here rather than only in the executed outputs.
    """
    text = "\n".join("".join(c["source"]) for c in cells(path) if c["cell_type"] == "code")
    quiet = text.find('logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)')
    first_import = min(
        (m.start() for m in re.finditer(r"^(import|from) (peft|bitsandbytes|trl)\b", text, re.M)), default=len(text)
    )
    assert 0 <= quiet < first_import


def tagged_cell(cell: dict, tag: str) -> bool:
    return tag in cell.get("metadata", {}).get("tags", [])


def is_check_pair(before: dict, cell: dict) -> bool:
    """An exercise's answer cell is followed directly by its check cell."""
    return before["cell_type"] == "code" and "check(" in "".join(cell["source"])


CHECK_CELL = re.compile(
    r"^(?:from course_utils\.exercises import check\n\n)?"
    r'check\("(\d\d)\.(easy|medium|hard)", (answer_\w+)((?:,\s*\w+=\w+)*),?\s*\)\n?$'
)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercises_come_in_three_levels_with_checks_that_pass_names_only(path):
    """A check cell holds no expression: the answer stays in the grader, not in the notebook."""
    levels = []
    all_cells = cells(path)
    for before, cell in zip(all_cells, all_cells[1:], strict=False):
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or "check(" not in source:
            continue
        found = CHECK_CELL.match(source)
        assert found, f"a check cell passes only names: {source!r}"
        number, level, variable, _ = found.groups()
        assert number == path.stem[:2]
        assert "".join(before["source"]).startswith(f"{variable} = None"), variable
        levels.append(level)
    assert levels == ["easy", "medium", "hard"]
    assert "## References" in "\n".join("".join(c["source"]) for c in all_cells)


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make course" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_pre_commit_hooks_are_local_and_keep_cell_tags():
    config = (ROOT / ".pre-commit-config.yaml").read_text()
    assert "repo: local" in config and "nbstripout" in config and "ruff" in config
    assert "--keep-id" in config and "jupyter" in config


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_training_checkpoints_and_a_rerun_resumes(path):
    """Nothing a learner trains is lost to a disconnect: each Trainer saves checkpoints, each train() resumes."""
    code = "\n".join("".join(c["source"]) for c in cells(path) if c["cell_type"] == "code")
    trainings = re.findall(r"\w*trainer\w*\.train\(([^)]*(?:\([^)]*\))?[^)]*)\)", code)
    settings = re.findall(r"(?:TrainingArguments|SFTConfig)\((.*?)\n\s*\)", code, re.S)  # Seq2Seq... too
    training_settings = [s for s in settings if "max_steps" in s or "num_train_epochs" in s]
    assert all(args.startswith("resume_from_checkpoint=") for args in trainings), trainings
    assert code.count("resume_point(") >= len(trainings)  # each resumes from the newest checkpoint, if any
    assert all('save_strategy="no"' not in s and "save_only_model" not in s for s in training_settings)
    assert bool(training_settings) == bool(trainings)
    params = "".join(tagged(path, "parameters")[0]["source"])
    assert ("DRIVE_DIR = None" in params) == bool(trainings)  # the Google Drive switch, off by default
    if trainings:
        assert "output_folder(OUTPUT_DIR, DRIVE_DIR)" in code
    saves = len(re.findall(r"\bmodel\.save_pretrained\(|torch\.save\(", code))
    assert code.count("note_replaced(") >= saves  # a rerun never replaces saved weights without a word
