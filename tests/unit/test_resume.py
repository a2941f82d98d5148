"""Nothing a learner trains is lost: a training killed mid-run resumes to the very same adapter."""

import json
import subprocess
import sys

from safetensors.torch import load_file

from course_utils.paths import repo_root

SCRIPT = repo_root() / "scripts" / "train_lora.py"


def _train(output_dir, *extra):
    return subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--output-dir",
            str(output_dir),
            "--max-steps",
            "12",
            "--save-steps",
            "4",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _final_step(output_dir):
    return json.loads((output_dir / "checkpoints" / "checkpoint-12" / "trainer_state.json").read_text())["global_step"]


def test_a_killed_training_resumes_to_the_same_adapter_as_an_uninterrupted_one(tmp_path):
    whole = _train(tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr[-2000:]
    assert "resuming" not in whole.stdout  # a first run starts from scratch

    killed = _train(tmp_path / "killed", "--die-after-step", "8")
    assert killed.returncode == -9  # SIGKILL: the process did not exit on its own
    assert not (tmp_path / "killed" / "adapter").exists()  # it died before the end
    assert sorted(p.name for p in (tmp_path / "killed" / "checkpoints").iterdir()) == ["checkpoint-4", "checkpoint-8"]

    resumed = _train(tmp_path / "killed")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming from" in resumed.stdout and "checkpoint-8 (step 8 of 12)" in resumed.stdout
    assert _final_step(tmp_path / "whole") == _final_step(tmp_path / "killed") == 12
    a = load_file(tmp_path / "whole" / "adapter" / "adapter_model.safetensors")
    b = load_file(tmp_path / "killed" / "adapter" / "adapter_model.safetensors")
    assert sorted(a) == sorted(b) and len(a) == 8  # lora_A and lora_B of 4 blocks
    assert all(bool((a[k] == b[k]).all()) for k in a)  # bit-identical on a CPU

    again = _train(tmp_path / "killed")  # a rerun after the end: nothing to train, and it says what it replaces
    assert again.returncode == 0
    assert "checkpoint-12 (step 12 of 12)" in again.stdout and "replacing the adapter saved in" in again.stdout
