"""Memory figures: footprint equals bytes per parameter; the peak sees a big allocation."""

import torch

from course_utils.memory import PeakMemory, folder_bytes, model_footprint
from course_utils.models import load_model_and_tokenizer
from course_utils.tiny import tiny_model_path


def test_footprint_is_four_bytes_per_parameter_in_float32_and_less_in_4bit():
    model, _ = load_model_and_tokenizer(tiny_model_path("bloom"), dtype=torch.float32)
    n = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() * b.element_size() for b in model.buffers())
    assert model_footprint(model) == 4 * n + buffers
    q4, _ = load_model_and_tokenizer(tiny_model_path("bloom"), quantization="4bit")
    assert model_footprint(q4) < model_footprint(model) / 2


def test_peak_memory_sees_a_200_mb_block_that_is_already_freed():
    with PeakMemory(device="cpu") as mem:
        block = torch.ones(50_000_000)  # 200 MB of float32, touched
        del block
    assert mem.method in ("cpu peak RSS", "cpu sampled RSS")
    assert 150e6 < mem.delta_bytes < 400e6
    assert mem.as_dict()["delta_bytes"] == mem.delta_bytes


def test_folder_bytes(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 10)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"y" * 5)
    assert folder_bytes(tmp_path) == 15
