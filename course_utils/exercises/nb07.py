"""Graders for notebook 07's exercises (see course_utils.exercises)."""

from __future__ import annotations

import json
from pathlib import Path

from course_utils.exercises import expect_close, grader


@grader("07.easy")
def stage2_model_states(answer):
    psi, n = 13_000_000_000, 8  # the exercise's model and device count
    expected = (2 * psi + (2 + 12) * psi / n) / 1e9  # weights whole; gradients and optimizer state split
    return expect_close(answer, expected, 1e-3, "the GB per device at stage 2")


@grader("07.medium")
def lowest_fitting_stage(answer, device_peak):
    fitting = [stage for stage in range(4) if device_peak("full, fp32", 4, stage) <= 40]  # 4 devices of 40 GB
    expected = fitting[0] if fitting else None
    if answer is None and expected is not None:
        return "Some stage does fit: compute device_peak for 4 devices at each stage."
    if answer is not None and (isinstance(answer, bool) or answer not in (0, 1, 2, 3)):
        return "Answer with a stage, 0, 1, 2 or 3 (or None if none fits)."
    if answer != expected:
        return "That is not the lowest stage that fits: compare each stage's figure for 4 devices with 40 GB."
    return None


@grader("07.hard")
def accumulation_run(answer, single, BATCH_SIZE, NUM_PROCESSES):  # noqa: N803 (the notebook's parameter names)
    if isinstance(answer, bool) or not isinstance(answer, str | Path):
        return "Answer with the output folder of your run (a path), not a number."
    report_path = Path(answer) / "process-0.json"
    if not report_path.is_file():
        return f"No process-0.json in {answer}: run scripts/train_lora.py with --output-dir set to that folder."
    report = json.loads(report_path.read_text())
    if report["world_size"] != 1:
        return "That run used several processes: accumulate in one process (`launch([sys.executable, ...])`)."
    if report["batch_size"] != BATCH_SIZE or report["gradient_accumulation_steps"] != NUM_PROCESSES:
        return "Use micro-batches of BATCH_SIZE and --gradient-accumulation-steps NUM_PROCESSES."
    if report["steps"] != single["steps"] or len(report["losses"]) != len(single["losses"]):
        return "Train as many steps as section 2's runs (the arguments in `common`)."
    gap = max(abs(a - b) / abs(b) for a, b in zip(report["losses"], single["losses"], strict=True))
    if gap > 1e-4:
        return "The losses differ from section 2's: keep every other argument of `common` (dropout off, same seed)."
    return None
