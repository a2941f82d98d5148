"""`make bench-quick`: every method measured, and the estimator within 25% of each measurement."""

import json
import subprocess
import sys

import pytest

from course_utils.paths import repo_root

KEYS = {
    "method",
    "measured_peak_bytes",
    "estimated_peak_bytes",
    "footprint_bytes",
    "seconds_per_step",
    "tokens_per_second",
    "trainable_params",
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    cmd = [sys.executable, str(repo_root() / "benchmarks" / "bench_memory.py"), "--quick", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "est/meas" in proc.stdout and (out / "results.png").is_file()
    return json.loads((out / "results.json").read_text())


def test_every_method_ran_and_reports_every_figure(results):
    assert [r["method"] for r in results] == ["full", "lora", "lora_gc", "qlora", "prompt_tuning"]
    for r in results:
        assert r["status"] == "ok" and KEYS <= r.keys()
        assert r["measured_peak_bytes"] > 0 and r["seconds_per_step"] > 0


def test_estimates_are_within_25_percent_of_the_measured_peak(results):
    for r in results:
        ratio = r["estimated_peak_bytes"] / r["measured_peak_bytes"]
        assert 0.75 <= ratio <= 1.25, (r["method"], ratio)


def test_peft_methods_need_far_less_than_full_fine_tuning(results):
    by = {r["method"]: r for r in results}
    for method in ("lora", "lora_gc", "qlora", "prompt_tuning"):
        assert by[method]["measured_peak_bytes"] < 0.6 * by["full"]["measured_peak_bytes"], method
        assert by[method]["trainable_params"] < by["full"]["trainable_params"] / 1000
