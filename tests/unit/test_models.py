"""Loading: offline errors are fast and clear, 4-bit works on the CPU and stays trainable."""

import re
import sys
import time
from pathlib import Path

import pytest
import torch
from peft import LoraConfig, TaskType, get_peft_model, prepare_model_for_kbit_training

from course_utils import models
from course_utils.models import (
    MissingDependencyError,
    ModelNotAvailableError,
    disable_cpu_4bit_repacking,
    load_model_and_tokenizer,
)
from course_utils.tiny import tiny_model_path


@pytest.mark.parametrize("offline_flag", ["1", None])
def test_unreachable_hub_id_fails_fast_with_one_clear_line(monkeypatch, offline_flag):
    if offline_flag is None:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setattr(models, "HUB_HOST", ("127.0.0.1", 9))  # nothing listens: unreachable
    else:
        monkeypatch.setenv("HF_HUB_OFFLINE", offline_flag)
    start = time.perf_counter()
    with pytest.raises(ModelNotAvailableError) as info:
        load_model_and_tokenizer("org-that-does-not-exist/some-model", task="seq2seq")
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert "\n" not in message
    assert "'org-that-does-not-exist/some-model'" in message
    assert "tiny_model_path('t5')" in message


def test_four_bit_without_bitsandbytes_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "bitsandbytes", None)  # import now fails
    with pytest.raises(MissingDependencyError, match="needs bitsandbytes: pip install bitsandbytes"):
        load_model_and_tokenizer(tiny_model_path("bloom"), quantization="4bit")


def test_bad_arguments_name_the_value():
    with pytest.raises(ValueError, match="task='chat'"):
        load_model_and_tokenizer(tiny_model_path("bloom"), task="chat")
    with pytest.raises(ValueError, match="quantization='3bit'"):
        load_model_and_tokenizer(tiny_model_path("bloom"), quantization="3bit")


def test_every_task_loads_and_has_a_pad_token():
    bloom = tiny_model_path("bloom")
    for path, task, kwargs in [
        (bloom, "causal_lm", {}),
        (tiny_model_path("t5"), "seq2seq", {}),
        (tiny_model_path("minilm"), "encoder", {}),
        (tiny_model_path("minilm"), "sequence_classification", {"num_labels": 2}),
    ]:
        model, tok = load_model_and_tokenizer(path, task=task, **kwargs)
        assert tok.pad_token is not None and model.config.pad_token_id is not None, task
    assert model.num_labels == 2


def _lora_step(model, tok):
    batch = tok(["@ShopNow my parcel never arrived"], return_tensors="pt")
    batch["labels"] = batch["input_ids"].clone()
    loss = model(**batch).loss
    loss.backward()
    return loss


def _four_bit_lora(fix: bool):
    model, tok = load_model_and_tokenizer(tiny_model_path("bloom"), quantization="4bit")
    if not fix:  # undo the course's fix, to show the trap is real
        for m in model.modules():
            if hasattr(m, "support_avx512bf16_for_cpu"):
                m.support_avx512bf16_for_cpu = True
    model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    model = get_peft_model(model, LoraConfig(r=4, target_modules=["query_key_value"], task_type=TaskType.CAUSAL_LM))
    model.eval()
    with torch.no_grad():  # generation "before training": an eval-mode forward pass
        model.generate(**tok("I want you to act as", return_tensors="pt"), max_new_tokens=3)
    model.train()
    return model, tok


def test_four_bit_tiny_bloom_trains_after_an_eval_forward_pass():
    model, tok = _four_bit_lora(fix=True)
    from bitsandbytes.nn import Linear4bit

    n = sum(isinstance(m, Linear4bit) for m in model.modules())
    assert n == 4 * model.config.n_layer  # query_key_value, dense, dense_h_to_4h, dense_4h_to_h per block
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    losses = []
    for _ in range(8):
        losses.append(_lora_step(model, tok).item())
        optim.step()
        optim.zero_grad()
    assert losses[-1] < losses[0] - 0.1  # the adapter learns on top of the 4-bit base


def _cpu_has_avx512_bf16() -> bool:
    cpuinfo = Path("/proc/cpuinfo")
    return cpuinfo.is_file() and re.search(r"\bavx512_bf16\b", cpuinfo.read_text()) is not None


@pytest.mark.skipif(torch.cuda.is_available() or not _cpu_has_avx512_bf16(), reason="the trap needs an AVX512-BF16 CPU")
def test_without_the_fix_the_cpu_trap_bites():
    model, tok = _four_bit_lora(fix=False)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        _lora_step(model, tok)


def test_disable_repacking_counts_layers_and_is_harmless_on_plain_models():
    plain, _ = load_model_and_tokenizer(tiny_model_path("bloom"))
    assert disable_cpu_4bit_repacking(plain) == 0


@pytest.mark.parametrize(
    ("cuda", "capability", "expected"),
    [
        (True, (7, 5), torch.float16),
        (True, (8, 0), torch.bfloat16),
        (True, (9, 0), torch.bfloat16),
        (False, None, torch.float32),
    ],
)
def test_compute_dtype_wants_native_bfloat16(monkeypatch, cuda, capability, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)  # what a T4 says: emulation counts
    assert models.compute_dtype() == expected
    assert models.native_bf16() is (expected == torch.bfloat16)


def test_a_t4_is_recommended_the_real_profile():
    t4_bytes = 15_095 * 2**20  # what a Colab T4 reports: 14.74 GiB, about 15.83e9 bytes
    assert round(t4_bytes / 2**30, 1) == 14.7 and t4_bytes > 15.8e9
    assert models.recommend_profile(t4_bytes, hub_ok=True) == "real"
    assert models.recommend_profile(t4_bytes, hub_ok=False) == "tiny"  # no models to run
    assert models.recommend_profile(12 * 2**30, hub_ok=True) == "tiny"  # a 12 GB GPU is too small
    assert models.recommend_profile(None, hub_ok=True) == "tiny"  # no GPU


@pytest.mark.parametrize("capability, fast", [("AVX512", True), ("AVX2", False), ("DEFAULT", False)])
def test_bfloat16_counts_as_fast_on_a_cpu_only_with_avx512(monkeypatch, capability, fast):
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: capability)
    assert models.cpu_has_fast_bf16() is fast


def test_fast_cpu_bfloat16_agrees_with_the_check_pytorch_makes_before_handing_matmuls_to_onednn():
    if not hasattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported"):
        pytest.skip("this PyTorch build has no oneDNN bfloat16 check")
    assert models.cpu_has_fast_bf16() is bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
