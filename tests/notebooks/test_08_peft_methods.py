"""Notebook 08 on the tiny profile: nine PEFT methods on one task, one base and one budget."""

import json
from pathlib import Path

import pytest
from peft import PrefixTuningConfig, TaskType

from course_utils.params import count_params
from course_utils.paths import real_config_path
from course_utils.profiles import tiny_parameters
from course_utils.tiny import tiny_model_path

NAME = "08_peft_methods"
METHODS = ["full", "last_layers", "bitfit", "lora", "dora", "ia3", "adapter", "prefix", "prompt"]


@pytest.fixture(scope="module")
def rows(metrics):
    return {r["method"]: r for r in metrics["rows"]}


def test_every_method_has_a_row_with_every_figure(metrics, rows):
    assert metrics["methods"] == METHODS and list(rows) == METHODS
    for r in rows.values():
        assert r["trainable"] > 0 and r["val_loss"] > 0 and r["disk_bytes"] > 0
        assert r["seconds_per_step"] > 0 and r["forward_ms"] > 0 and r["base_forward_ms"] > 0
        assert set(r["memory"]) == {"weights", "gradients", "optimizer", "activations"}
        assert all(v > 0 for v in r["memory"].values())
        assert r["cuda_peak_bytes"] is None  # a CPU run: no CUDA peak, and the table leaves the column out
    assert metrics["max_steps"] == tiny_parameters(NAME)["MAX_STEPS"]


def test_counts_match_the_formulas_for_this_model_and_bloomz_560m(metrics, rows):
    config = json.loads((tiny_model_path("bloom") / "config.json").read_text())
    h, n = config["hidden_size"], config["n_layer"]
    expected = {
        "full": metrics["base_params"],
        "last_layers": 12 * h * h + 13 * h + 2 * h,  # one block (LAST_LAYERS = 1) and the final layer norm
        "bitfit": n * 11 * h + 2 * h,
        "lora": n * 8 * 4 * h,
        "dora": n * (8 * 4 * h + 3 * h),
        "ia3": n * 7 * h,
        "adapter": n * 16 * 7 * h,
        "prefix": 10 * n * 2 * h,
        "prompt": 10 * h,
    }
    for method, count in expected.items():
        assert rows[method]["trainable"] == metrics["counts"][method]["trainable"] == count, method
    assert metrics["base_params"] == 985_600
    real = metrics["counts"]
    assert real["full"]["real_trainable"] == 559_214_592
    assert real["lora"]["real_trainable"] == 24 * 8 * 4 * 1024 == 786_432
    prefix = PrefixTuningConfig(num_virtual_tokens=10, task_type=TaskType.CAUSAL_LM)
    assert real["prefix"]["real_trainable"] == count_params(real_config_path("bigscience/bloomz-560m"), prefix)[0]


def test_every_trained_method_beats_the_untrained_base(metrics, rows):
    for r in rows.values():
        assert r["val_loss"] < metrics["base_val_loss"] - 0.5, r["method"]


def test_the_quality_claims_of_the_prose_hold(metrics, rows):
    base = metrics["base_val_loss"]
    gain = {m: base - r["val_loss"] for m, r in rows.items()}
    assert metrics["ranking"][0] == "full" and metrics["ranking"][-1] == "prompt"
    for method in ("last_layers", "adapter"):  # came closest to full fine-tuning
        assert gain[method] > 0.9 * gain["full"], method
    for method in ("lora", "dora", "prefix", "ia3"):  # a short distance behind
        assert 0.7 * gain["full"] < gain[method] < min(gain["last_layers"], gain["adapter"]), method
    assert gain["prompt"] < gain["bitfit"] < 0.7 * gain["full"]  # BitFit clearly less, prompt tuning least
    # IA3 trains fewer parameters than BitFit and reaches much more
    assert rows["ia3"]["trainable"] < rows["bitfit"]["trainable"] and gain["ia3"] > gain["bitfit"] + 0.3
    assert gain["prefix"] > 1.5 * gain["prompt"]  # the same ten virtual tokens, acting in every layer
    assert abs(rows["dora"]["val_loss"] - rows["lora"]["val_loss"]) < 0.1  # "about as good"


def test_memory_by_parts_follows_what_trains(rows):
    full = rows["full"]
    # float32: a gradient and AdamW's two moments per trainable parameter (plus one step count per tensor)
    assert full["memory"]["gradients"] == 4 * full["trainable"]
    assert 8 * full["trainable"] <= full["memory"]["optimizer"] < 8 * full["trainable"] + 4096
    for r in rows.values():
        assert r["memory"]["gradients"] == 4 * r["trainable"]
    act = {m: r["memory"]["activations"] for m, r in rows.items()}
    assert act["last_layers"] < act["lora"] < act["full"]  # frozen linears save nothing for the backward pass
    assert act["bitfit"] < act["full"]
    assert act["ia3"] > act["lora"] and act["dora"] > act["lora"]
    assert act["prompt"] > act["prefix"]  # ten more positions through every layer
    total = {m: sum(r["memory"].values()) for m, r in rows.items()}
    assert min(total, key=total.get) == "last_layers" and max(total, key=total.get) == "full"


def test_results_are_saved_and_their_sizes_follow_what_trains(metrics, rows):
    out = Path(metrics["_output_dir"])
    saved = {p.parent.name for p in (out / "adapters").glob("*/*.safetensors")}
    assert {f"{m}_lr{r['learning_rate']:g}" for m, r in rows.items()} <= saved  # the hard exercise adds one
    disk = {m: r["disk_bytes"] for m, r in rows.items()}
    assert min(disk, key=disk.get) == "prompt" and max(disk, key=disk.get) == "full"
    assert disk["full"] > 4 * metrics["base_params"]  # the whole model, in float32
    for png in ("loss_curves.png", "quality_vs_params.png"):
        assert (out / png).is_file()


def test_merged_and_unmerged_agree_where_a_merge_exists(metrics, rows):
    assert set(metrics["merge_max_abs_diff"]) == {"lora", "dora", "ia3", "adapter"}
    assert all(diff < 1e-4 for diff in metrics["merge_max_abs_diff"].values())
    for method in ("lora", "dora", "ia3", "adapter"):
        assert rows[method]["merged_forward_ms"] > 0
        assert rows[method]["merged_plain"] is True  # module for module the base: the base's speed
    for method in ("full", "last_layers", "bitfit", "prefix", "prompt"):
        assert "merged_forward_ms" not in rows[method]
    assert rows["prefix"]["extra_positions"] == rows["prompt"]["extra_positions"] == 10
    assert all(rows[m]["extra_positions"] == 0 for m in METHODS if m not in ("prefix", "prompt"))
