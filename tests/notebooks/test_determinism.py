"""A rerun gives the same notebook: nbval re-executes an executed copy and compares every output.

Only what nbval_sanitize.cfg lists may differ (the Trainer's progress table, seconds, memory
readings). ``make test`` checks two notebooks; ``make test-determinism`` checks every one
(``DETERMINISM_NOTEBOOKS=all``).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.runner import notebook_paths

SANITIZE = Path(__file__).with_name("nbval_sanitize.cfg")
CHOSEN = os.environ.get("DETERMINISM_NOTEBOOKS", "00_environment_check,02_lora_bloom")
NAMES = [p.stem for p in notebook_paths()] if CHOSEN == "all" else CHOSEN.split(",")


@pytest.mark.parametrize("name", NAMES)
def test_a_rerun_gives_the_same_outputs(run_notebook, name):
    output_dir = Path(run_notebook(name)["_output_dir"])
    executed = output_dir / f"{name}.ipynb"
    for item in output_dir.iterdir():  # the rerun starts afresh: no checkpoint to resume, no adapter to replace
        if item.name != executed.name:
            shutil.rmtree(item) if item.is_dir() else item.unlink()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            str(executed),
            "--nbval-sanitize-with",
            str(SANITIZE),
            "-q",
            "-p",
            "no:cacheprovider",
            "--color=no",
        ],
        capture_output=True,
        text=True,
        cwd=output_dir,
        env=env,
        timeout=900,
    )
    lines = [line for line in done.stdout.splitlines() if "unhandled iopub msg" not in line]
    diffs = ["\n".join(lines[i : i + 12]) for i, line in enumerate(lines) if "reference_output == test_output" in line]
    failed = [line for line in lines if line.startswith("FAILED")]
    assert done.returncode == 0, "\n".join(failed + diffs) or "\n".join(lines[-40:])
