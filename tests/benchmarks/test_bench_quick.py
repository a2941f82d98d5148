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
    assert (out / "results.md").read_text().startswith("| method | trainable |")
    return json.loads((out / "results.json").read_text())


def ran(results):
    return [r for r in results if r["status"] == "ok"]


def test_every_method_ran_and_reports_every_figure(results):
    from course_utils.models import cpu_has_fast_bf16

    assert [r["method"] for r in results] == ["full", "lora", "lora_gc", "qlora", "qlora_lean", "prompt_tuning"]
    for r in results:
        if r["method"] == "qlora_lean" and not cpu_has_fast_bf16():  # said, not silently left out
            assert r["status"].startswith("skipped: no fast bfloat16 on this CPU")
            continue
        assert r["status"] == "ok" and KEYS <= r.keys()
        assert r["measured_peak_bytes"] > 0 and r["seconds_per_step"] > 0


def test_estimates_are_within_25_percent_of_the_measured_peak(results):
    for r in ran(results):
        ratio = r["estimated_peak_bytes"] / r["measured_peak_bytes"]
        assert 0.75 <= ratio <= 1.25, (r["method"], ratio)


def test_peft_methods_need_far_less_than_full_fine_tuning(results):
    by = {r["method"]: r for r in ran(results)}
    for method in set(by) - {"full"}:
        assert by[method]["measured_peak_bytes"] < 0.6 * by["full"]["measured_peak_bytes"], method
        assert by[method]["trainable_params"] < by["full"]["trainable_params"] / 1000


def test_the_lean_recipe_halves_the_weights_and_lowers_the_peak(results):
    by = {r["method"]: r for r in ran(results)}
    if "qlora_lean" not in by:
        pytest.skip("this CPU runs no fast bfloat16: the lean recipe was skipped (and said so)")
    lean, stock = by["qlora_lean"], by["qlora"]
    assert lean["footprint_bytes"] < 0.55 * stock["footprint_bytes"]  # the float32 embedding is most of it here
    assert lean["measured_peak_bytes"] < stock["measured_peak_bytes"]
    assert lean["estimated_peak_bytes"] < stock["estimated_peak_bytes"]
