"""The Colab setup cell: one source for the URL and pins, one line when the clone fails, nothing half-installed."""

import json
import subprocess
import sys
import types

import pytest

from course_utils.colab import COLAB_PACKAGES, REPO_SLUG, badge_url, requirement_pins, setup_cell_source
from course_utils.paths import repo_root
from course_utils.runner import notebook_paths


class FakeRun:
    """Stands in for subprocess.run: records each command; git answers with ``git_code``."""

    def __init__(self, git_code: int):
        self.git_code, self.calls = git_code, []

    def __call__(self, command, **kwargs):
        self.calls.append(list(command))
        code = self.git_code if command[0] == "git" else 0
        stderr = "fatal: repository 'https://github.com/x/y/' not found\n" if code else ""
        return subprocess.CompletedProcess(command, code, "", stderr)


def run_setup_cell(monkeypatch, fake: FakeRun) -> None:
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(subprocess, "run", fake)
    monkeypatch.setenv("COURSE_ROOT", str(repo_root()))  # the cell changes it; restored after the test
    exec(setup_cell_source(), {})  # noqa: S102 - the cell's own text, as Colab runs it


def test_a_failed_clone_stops_with_one_line_and_installs_nothing(monkeypatch):
    fake = FakeRun(git_code=128)
    with pytest.raises(Exception) as info:
        run_setup_cell(monkeypatch, fake)
    lines = info.value._render_traceback_()
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "not found" in lines[0] and "Set COURSE_REPO" in lines[0] and "upload the course folder" in lines[0]
    assert [c[0] for c in fake.calls] == ["git"]  # no pip: nothing half-installed
    assert __import__("os").environ["COURSE_ROOT"] == str(repo_root())  # untouched


def test_a_good_clone_installs_the_pins_without_touching_torch(monkeypatch):
    wanted = requirement_pins()  # read before the cell points COURSE_ROOT at Colab's folder
    fake = FakeRun(git_code=0)
    run_setup_cell(monkeypatch, fake)
    git, pins, course = fake.calls
    assert git[:2] == ["git", "clone"] and f"https://github.com/{REPO_SLUG}" in git
    assert pins[1:4] == ["-m", "pip", "install"] and "-c" in pins
    assert not [a for a in pins if a.startswith("torch==")]
    assert {a.split("==")[0] for a in pins if "==" in a} == set(COLAB_PACKAGES)
    assert all(wanted[a.split("==")[0].lower()] == a.split("==")[1] for a in pins if "==" in a)
    assert course[-2:] == ["--no-deps", "/content/course"]
    assert __import__("os").environ["COURSE_ROOT"] == "/content/course"


def test_the_cell_does_nothing_outside_colab(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    fake = FakeRun(git_code=0)
    monkeypatch.setattr(subprocess, "run", fake)
    exec(setup_cell_source(), {})  # noqa: S102
    assert fake.calls == []


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_every_notebook_carries_the_generated_setup_cell_and_badge(path):
    cells = json.loads(path.read_text())["cells"]
    (setup,) = [c for c in cells if "colab-setup" in c["metadata"].get("tags", [])]
    assert "".join(setup["source"]) == setup_cell_source(), "run: python -m course_utils.colab"
    assert badge_url(path) + ")" in "".join(cells[0]["source"])
    assert REPO_SLUG in (repo_root() / "README.md").read_text()


def test_in_a_real_kernel_the_learner_sees_one_line(tmp_path):
    """IPython renders the setup error as the single line the cell builds, not a traceback."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbformat.v4 import new_code_cell, new_notebook

    fake_colab = (
        "import subprocess, sys, types\n"
        "sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
        "subprocess.run = lambda cmd, **kw: subprocess.CompletedProcess(cmd, 128, '', 'fatal: not found\\n')\n"
    )
    nb = new_notebook(cells=[new_code_cell(fake_colab), new_code_cell(setup_cell_source())])
    with pytest.raises(CellExecutionError):
        NotebookClient(nb, timeout=60, kernel_name="python3").execute(cwd=str(tmp_path))
    (error,) = [o for o in nb.cells[1].outputs if o.output_type == "error"]
    assert len(error.traceback) == 1 and error.traceback[0].startswith("Setup stopped: cannot clone")


def test_output_folder_moves_to_drive_only_in_colab_and_only_when_asked(tmp_path, monkeypatch):
    from course_utils.colab import output_folder

    mounted = []
    drive = types.SimpleNamespace(mount=mounted.append)
    assert output_folder(tmp_path / "out", tmp_path / "drive") == tmp_path / "out"  # not in Colab: stays
    assert (tmp_path / "out").is_dir() and not mounted
    monkeypatch.setitem(sys.modules, "google.colab", types.SimpleNamespace(drive=drive))
    assert output_folder(tmp_path / "local") == tmp_path / "local" and not mounted  # in Colab, DRIVE_DIR unset
    assert output_folder(tmp_path / "outputs" / "03_x", tmp_path / "drive") == tmp_path / "drive" / "03_x"
    assert mounted == ["/content/drive"] and (tmp_path / "drive" / "03_x").is_dir()
