"""The course runner: progress, summary, a readable table, and failure reported without stopping."""

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_utils import runner
from course_utils.profiles import REHEARSAL_PROFILE, TINY_PROFILE, TINY_SECONDS, tiny_parameters


def _notebook(path, body):
    nb = new_notebook()
    params = new_code_cell('OUTPUT_DIR = "x"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_run_course_reports_each_notebook_and_keeps_going(tmp_path, monkeypatch, capsys):
    good = _notebook(
        tmp_path / "01_good.ipynb",
        ("import json, pathlib\npathlib.Path(OUTPUT_DIR, 'metrics.json').write_text(json.dumps({'answer': 42}))"),
    )
    bad = _notebook(tmp_path / "02_bad.ipynb", "raise ValueError('broken on purpose')")
    monkeypatch.setattr(runner, "notebook_paths", lambda: [good, bad])
    monkeypatch.setattr(runner, "profile_parameters", lambda name, profile: {})
    summary = runner.run_course(tmp_path / "out")
    assert [(e["name"], e["status"]) for e in summary] == [("01_good", "ok"), ("02_bad", "failed")]
    assert summary[0]["metrics"] == {"answer": 42} and summary[0]["seconds"] > 0
    assert summary[1]["error"] == "ValueError: broken on purpose"
    assert (tmp_path / "out" / "01_good" / "01_good.ipynb").is_file()  # the executed copy
    printed = capsys.readouterr().out
    assert "[1/2] 01_good" in printed and "[2/2] 02_bad" in printed
    table = runner.format_table(summary)
    assert "01_good" in table and "failed" in table and "1/2 ok" in table


def test_two_jobs_run_notebooks_side_by_side_with_a_share_of_the_threads_each(tmp_path, monkeypatch, capsys):
    body = (
        "import json, os, pathlib\n"
        "pathlib.Path(OUTPUT_DIR, 'metrics.json').write_text(json.dumps({'threads': os.environ['OMP_NUM_THREADS'],"
        " 'pid': os.getpid()}))"
    )
    paths = [_notebook(tmp_path / f"0{i}_nb.ipynb", body) for i in (1, 2, 3)]
    paths.append(_notebook(tmp_path / "04_bad.ipynb", "raise ValueError('broken on purpose')"))
    monkeypatch.setattr(runner, "notebook_paths", lambda: paths)
    monkeypatch.setattr(runner, "profile_parameters", lambda name, profile: {})
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(runner.os, "cpu_count", lambda: 4)
    summary = runner.run_course(tmp_path / "out", jobs=2)
    assert [e["name"] for e in summary] == ["01_nb", "02_nb", "03_nb", "04_bad"]  # course order, whatever ended first
    assert [e["status"] for e in summary] == ["ok", "ok", "ok", "failed"]
    assert summary[3]["error"] == "ValueError: broken on purpose"
    assert {e["metrics"]["threads"] for e in summary[:3]} == {"2"}  # 4 CPUs shared by 2 kernels
    assert len({e["metrics"]["pid"] for e in summary[:3]}) == 3  # a kernel per notebook
    assert all(e["jobs"] == 2 and e["seconds"] > 0 for e in summary)
    printed = capsys.readouterr().out
    assert "4 notebooks, 2 at a time, 2 CPU thread(s) each" in printed and "[4/4]" in printed
    assert "2 notebooks at a time" in runner.format_table(summary)
    assert "OMP_NUM_THREADS" not in runner.os.environ  # set for the kernels only


def test_several_at_a_time_start_longest_first_and_new_notebooks_before_all():
    paths = [Path(f"{name}.ipynb") for name in ("00_a", "01_b", "02_c", "03_new", "04_d", "05_new")]
    seconds = {"00_a": 10, "01_b": 60, "02_c": 40, "04_d": 90}
    order = [p.stem for p in runner.longest_first(paths, seconds)]
    assert order == ["03_new", "05_new", "04_d", "01_b", "02_c", "00_a"]
    assert {p.stem for p in runner.notebook_paths()} == set(TINY_SECONDS)  # a figure for every notebook


def test_main_writes_summary_and_exits_nonzero_on_failure(tmp_path, monkeypatch):
    bad = _notebook(tmp_path / "01_bad.ipynb", "1/0")
    monkeypatch.setattr(runner, "notebook_paths", lambda: [bad])
    monkeypatch.setattr(runner, "profile_parameters", lambda name, profile: {})
    assert runner.main(["--out", str(tmp_path / "out")]) == 1
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary[0]["status"] == "failed" and "ZeroDivisionError" in summary[0]["error"]


def test_tiny_parameters_resolve_model_folders_and_unknown_notebooks_are_clear():
    params = tiny_parameters("00_environment_check")
    assert (tmp := params["MODEL_NAME"]) and (__import__("pathlib").Path(tmp) / "config.json").is_file()
    with pytest.raises(KeyError, match="No tiny profile for notebook '99_x'"):
        tiny_parameters("99_x")


def _parameter_names(path):
    cell = next(c for c in nbformat.read(path, as_version=4).cells if "parameters" in c.metadata.get("tags", []))
    return {line.split("=")[0].strip() for line in cell.source.splitlines() if line[:1].isupper() and "=" in line}


def test_every_notebook_has_both_profiles_and_they_only_set_its_parameters():
    for path in runner.notebook_paths():
        names = _parameter_names(path)
        for profile in (TINY_PROFILE, REHEARSAL_PROFILE):
            assert path.stem in profile, f"{path.stem} has no entry in a profile"
            assert set(profile[path.stem]) <= names, f"{path.stem}: {set(profile[path.stem]) - names} not parameters"


def test_the_rehearsal_keeps_every_hub_id_and_cuts_only_counts():
    for overrides in REHEARSAL_PROFILE.values():
        assert not [k for k in overrides if k.endswith(("_NAME", "DATASET", "_DIR"))]
        assert all(isinstance(v, int | list) for v in overrides.values())


def test_noisy_outputs_flags_warnings_progress_bars_ansi_and_errors_only():
    from course_utils.runner import noisy_outputs

    def executed(*outputs):
        return {"cells": [{"cell_type": "code", "outputs": list(outputs)}]}

    clean = [
        {"output_type": "stream", "name": "stdout", "text": ["base: rouge1 0.375\n", "12/40 questions right\n"]},
        {"output_type": "execute_result", "data": {"text/plain": "<IPython.core.display.HTML object>"}},
    ]
    assert noisy_outputs(executed(*clean)) == []
    noisy = {
        "warning": {"output_type": "stream", "name": "stderr", "text": "x.py:3: UserWarning: careful\n"},
        "bar": {"output_type": "stream", "name": "stderr", "text": "Loading weights:  50%|##  | 37/74 [00:01<00:01]\n"},
        "ansi": {"output_type": "stream", "name": "stdout", "text": "\x1b[1mBertModel LOAD REPORT\x1b[0m\n"},
        "error": {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": []},
    }
    for kind, output in noisy.items():
        assert len(noisy_outputs(executed(*clean, output))) == 1, kind


def test_kernels_start_over_ipc_and_print_nothing_on_the_console(tmp_path, capfd):
    nb = _notebook(
        tmp_path / "01_quiet.ipynb", "import pathlib\npathlib.Path(OUTPUT_DIR, 'metrics.json').write_text('{}')"
    )
    assert runner.quiet_kernel_manager()().transport == "ipc"  # POSIX: Unix sockets, nothing to warn about
    assert runner.execute_notebook(nb, tmp_path / "out") == {}
    out, err = capfd.readouterr()
    assert "without encryption" not in err
    assert out.strip() == err.strip() == ""  # the kernel's own log does not reach the course's console
    assert not (tmp_path / "out" / "kernel.log").exists()  # nothing to keep: an empty log is removed


def test_what_the_kernel_process_logs_goes_to_kernel_log_not_the_console(tmp_path, capfd):
    body = (
        "from ipykernel.kernelapp import IPKernelApp\n"
        "IPKernelApp.instance().log.error('a note from the kernel process')\n"
        "import pathlib\npathlib.Path(OUTPUT_DIR, 'metrics.json').write_text('{}')"
    )
    runner.execute_notebook(_notebook(tmp_path / "01_logs.ipynb", body), tmp_path / "out")
    out, err = capfd.readouterr()
    assert "a note from the kernel process" not in out + err
    assert "a note from the kernel process" in (tmp_path / "out" / "kernel.log").read_text()


def test_a_course_run_starts_from_scratch_but_keeps_what_is_not_a_checkpoint(tmp_path):
    from course_utils.runner import remove_checkpoints

    for step in (4, 8):
        (tmp_path / "trainer" / f"checkpoint-{step}").mkdir(parents=True)
        (tmp_path / "trainer" / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
    (tmp_path / "checkpoint-notes").mkdir()  # a folder of that name that no Trainer wrote
    (tmp_path / "adapter").mkdir()
    removed = remove_checkpoints(tmp_path)
    assert sorted(p.name for p in removed) == ["checkpoint-4", "checkpoint-8"]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["adapter", "checkpoint-notes", "trainer"]
