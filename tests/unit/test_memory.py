"""Memory figures: footprint equals bytes per parameter; the peak sees a big allocation."""

import torch

from course_utils.memory import (
    PeakMemory,
    folder_bytes,
    model_footprint,
    optimizer_state_bytes,
    saved_activation_bytes,
    saved_tensor_bytes,
)
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


def test_a_frozen_linear_saves_nothing_for_the_backward_pass_and_a_trainable_one_saves_its_input():
    layer = torch.nn.Linear(64, 32)
    x = torch.randn(8, 64, requires_grad=True)  # as if a trainable layer came before
    assert saved_tensor_bytes(layer, {"input": x}) == 8 * 64 * 4
    layer.requires_grad_(False)
    assert saved_tensor_bytes(layer, {"input": x}) == 0  # the gradient for x needs only the weight


def test_saved_tensors_measured_on_tiny_bloom_match_the_meta_estimate_and_leave_the_model_alone():
    model, _ = load_model_and_tokenizer(tiny_model_path("bloom"), dtype=torch.float32)
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ids = torch.randint(0, model.config.vocab_size, (4, 24))
    measured = saved_tensor_bytes(model, {"input_ids": ids, "labels": ids})
    with torch.device("meta"):
        on_meta = type(model)(model.config)
    assert measured == sum(saved_activation_bytes(on_meta, 4, 24))
    assert not model.training and all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())


def test_optimizer_state_is_two_adamw_moments_per_parameter_and_a_step_count_per_tensor():
    layer = torch.nn.Linear(4, 3)
    optimizer = torch.optim.AdamW(layer.parameters())
    assert optimizer_state_bytes(optimizer) == 0  # AdamW creates its state at the first step
    layer(torch.randn(2, 4)).sum().backward()
    optimizer.step()
    assert optimizer_state_bytes(optimizer) == 2 * (12 + 3) * 4 + 2 * 4


def test_folder_bytes(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 10)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"y" * 5)
    assert folder_bytes(tmp_path) == 15


# --------------------------------------------------------------------------- estimator
import pytest  # noqa: E402

from course_utils.memory import estimate_training_memory, nf4_bytes_per_param  # noqa: E402
from course_utils.paths import real_config_path  # noqa: E402

BLOOMZ = real_config_path("bigscience/bloomz-560m")
BLOOM_7B = real_config_path("bigscience/bloom-7b1")
GIB = 2**30


def test_weights_and_optimizer_are_exact_for_full_fine_tuning():
    est = estimate_training_memory(BLOOMZ, "full", seq_len=128)
    assert est.trainable_params == 559_214_592
    assert est.weights_bytes == 4 * 559_214_592 and est.gradients_bytes == 4 * 559_214_592
    assert est.optimizer_bytes == 8 * 559_214_592  # AdamW: two float32 moments
    assert est.optimizer_workspace_bytes == 2 * 4 * 250_880 * 1024  # two temporaries of the embedding


def test_qlora_quantizes_every_linear_but_the_head_and_keeps_the_rest_in_float32():
    est = estimate_training_memory(BLOOMZ, "qlora", seq_len=128, gradient_checkpointing=True)
    linear = 24 * (3 * 1024 * 1024 + 1024 * 1024 + 2 * 4 * 1024 * 1024)
    assert est.weights_quantized_bytes == int(linear * nf4_bytes_per_param(True))
    assert est.weights_unquantized_bytes == (559_214_592 - linear) * 4 + 786_432 * 4
    assert nf4_bytes_per_param(True) < nf4_bytes_per_param(False) < 0.6
    assert est.trainable_params == 786_432 and est.optimizer_bytes == 8 * 786_432


def test_lean_qlora_keeps_what_is_not_4_bit_in_16_bits_but_the_norms():
    stock = estimate_training_memory(BLOOMZ, "qlora", seq_len=128, compute_dtype=torch.float16)
    lean = estimate_training_memory(BLOOMZ, "qlora_lean", seq_len=128, compute_dtype=torch.float16)
    linear = 24 * (3 * 1024 * 1024 + 1024 * 1024 + 2 * 4 * 1024 * 1024)
    norms = (2 * 24 + 2) * 2 * 1024  # two LayerNorms per block, the embedding's and the final one: weight and bias
    assert lean.weights_quantized_bytes == stock.weights_quantized_bytes
    assert lean.weights_unquantized_bytes == norms * 4 + (559_214_592 - linear - norms) * 2 + 786_432 * 4
    # the embedding (tied to the head) alone: 250,880 x 1024 parameters, 2 bytes each saved
    assert stock.weights_bytes - lean.weights_bytes > 250_880 * 1024 * 2
    assert lean.trainable_params == stock.trainable_params == 786_432
    assert lean.gradients_bytes == stock.gradients_bytes  # the LoRA matrices stay in float32 in both


def test_checkpointing_batch_and_vocabulary_move_the_activations_the_right_way():
    plain = estimate_training_memory(BLOOMZ, "lora", seq_len=256)
    checkpointed = estimate_training_memory(BLOOMZ, "lora", seq_len=256, gradient_checkpointing=True)
    assert checkpointed.activations_bytes < plain.activations_bytes / 5
    double = estimate_training_memory(BLOOMZ, "lora", seq_len=256, batch_size=2)
    assert 1.6 * plain.activations_bytes < double.activations_bytes <= 2 * plain.activations_bytes  # ~linear in batch
    assert double.logits_bytes == 2 * plain.logits_bytes
    assert plain.logits_bytes > plain.activations_bytes  # 250,880-token vocabulary: logits dominate


def test_bloom_7b1_on_a_16_gb_t4():
    full = estimate_training_memory(BLOOM_7B, "full", seq_len=512, dtype=torch.float16)
    lora = estimate_training_memory(BLOOM_7B, "lora", seq_len=512, dtype=torch.float16)
    qlora = estimate_training_memory(
        BLOOM_7B, "qlora", seq_len=512, compute_dtype=torch.float16, gradient_checkpointing=True, lora_r=16
    )
    assert not full.fits(16 * GIB) and not lora.fits(16 * GIB) and qlora.fits(16 * GIB)
    assert qlora.total_bytes < lora.total_bytes < full.total_bytes


def test_estimator_rejects_unknown_method_and_optimizer():
    with pytest.raises(ValueError, match="method='dora'"):
        estimate_training_memory(BLOOMZ, "dora")
    with pytest.raises(ValueError, match="optimizer='lion'"):
        estimate_training_memory(BLOOMZ, "lora", optimizer="lion")


# --------------------------------------------------------------------------- the planner
import re  # noqa: E402

from course_utils import memory  # noqa: E402
from course_utils.paths import REAL_CONFIGS  # noqa: E402


def _plan(capsys, *argv):
    code = memory.main([*argv])
    out, err = capsys.readouterr()
    return code, out, err


def _gb(out: str, row: str) -> float:
    return float(re.search(rf"^  {row}\s+([\d.]+) GB", out, re.M).group(1))


PLANNED = [  # every stored config with every method; the lean recipe on T5 is refused (a test below)
    (model_id, method)
    for model_id in sorted(REAL_CONFIGS)
    for method in ("full", "lora", "qlora", "qlora_lean")
    if (model_id, method) != ("google/flan-t5-base", "qlora_lean")
]


@pytest.mark.parametrize("model_id, method", PLANNED)
def test_planner_prints_the_estimators_figures_for_every_stored_config(capsys, model_id, method):
    code, out, err = _plan(
        capsys, model_id, "--method", method, "--batch-size", "2", "--seq-len", "64", "--gradient-checkpointing"
    )
    dtype = torch.float32 if method == "qlora" else torch.float16
    est = estimate_training_memory(
        real_config_path(model_id),
        method,
        batch_size=2,
        seq_len=64,
        dtype=dtype,
        gradient_checkpointing=True,
        compute_dtype=torch.float16 if method in ("qlora", "qlora_lean") else None,
    )
    assert err == "" and code == (0 if est.fits(15.3e9) else 1)
    for row, value in [
        ("weights", est.weights_bytes),
        ("gradients", est.gradients_bytes),
        ("activations", est.activations_bytes),
        ("logits", est.logits_bytes),
        ("peak", est.total_bytes),
    ]:
        assert _gb(out, row) == pytest.approx(value / 1e9, abs=6e-4), row
    assert f"of {est.trainable_params:,} trainable parameters" in out


def test_planner_counts_match_the_reference_figures(capsys):
    expected = {  # COURSE.md reference figures and the recipes' LoRA counts
        ("bigscience/bloomz-560m", "full"): 559_214_592,
        ("bigscience/bloomz-560m", "lora"): 786_432,  # r=8 on query_key_value
        ("distilbert-base-uncased", "full"): 66_955_010,  # with a 2-label head
        ("HuggingFaceTB/SmolLM2-135M-Instruct", "full"): 134_515_008,
        ("sentence-transformers/all-MiniLM-L6-v2", "lora"): 74_498,  # r=8 on query, value + classifier
    }
    for (model_id, method), count in expected.items():
        _, out, _ = _plan(capsys, model_id, "--method", method, "--seq-len", "32")
        assert f"of {count:,} trainable parameters" in out, (model_id, method)


def test_planner_says_whether_it_fits_and_exits_accordingly(capsys):
    args = ["bigscience/bloom-7b1", "--method", "qlora", "--batch-size", "4", "--seq-len", "512"]
    code, out, _ = _plan(capsys, *args, "--gpu-gb", "15")
    assert code == 1 and re.search(r"fits in 15.00 GB: no, [\d.]+ GB over", out)
    code, out, _ = _plan(capsys, *args, "--gpu-gb", "80")
    assert code == 0 and re.search(r"fits in 80.00 GB: yes, [\d.]+ GB to spare", out)


def test_planner_reads_a_config_folder_and_refuses_what_it_cannot_plan_in_one_line(capsys, tmp_path):
    code, out, _ = _plan(capsys, str(BLOOMZ), "--method", "lora", "--seq-len", "32")
    assert code == 0 and "bloom (BloomForCausalLM)" in out
    (tmp_path / "config.json").write_text('{"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"]}')
    code, out, err = _plan(capsys, str(tmp_path))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "model_type 'gpt2' is not one the estimator has been checked on; it plans bert, bloom" in err


def test_planner_offline_hub_id_is_one_clear_line(capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code, out, err = _plan(capsys, "no-such-org/no-such-model-xyz")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("cannot plan: No config.json for 'no-such-org/no-such-model-xyz'")
    assert "Give a local folder or config.json instead." in err


@pytest.mark.parametrize("bad", [["--batch-size", "0"], ["--seq-len", "-5"], ["--gpu-gb", "0"]])
def test_planner_rejects_sizes_that_are_not_positive(capsys, bad):
    with pytest.raises(SystemExit) as stopped:
        memory.main(["bigscience/bloomz-560m", *bad])
    assert stopped.value.code == 2 and re.search(r"must be (a )?positive", capsys.readouterr().err)


def test_planner_says_in_one_line_that_the_lean_recipe_does_not_run_on_t5(capsys):
    code, out, err = _plan(capsys, "google/flan-t5-base", "--method", "qlora_lean")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "does not run on t5" in err and "method='qlora'" in err


@pytest.mark.parametrize("method", ["qlora", "qlora_lean"])
def test_the_meta_simulation_of_both_qlora_recipes_saves_what_the_real_4_bit_model_saves(method):
    """Real NF4 layers computing in bfloat16, each recipe's casts, peft's float32 adapters: byte for byte."""
    from peft import LoraConfig, TaskType, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    from course_utils.models import disable_cpu_4bit_repacking

    path, batch, seq = tiny_model_path("bloom"), 4, 24
    bnb_config = BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )
    lean = {"dtype": torch.bfloat16} if method == "qlora_lean" else {}
    model = AutoModelForCausalLM.from_pretrained(path, quantization_config=bnb_config, device_map="cpu", **lean)
    disable_cpu_4bit_repacking(model)
    if method == "qlora":  # everything not 4-bit to float32: the hidden states stay float32 between the layers
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    else:  # everything not 4-bit in bfloat16 but the norms
        model.requires_grad_(False)
        for module in model.modules():
            if "Norm" in type(module).__name__:
                module.float()
    model = get_peft_model(model, LoraConfig(r=8, target_modules=["query_key_value"], task_type=TaskType.CAUSAL_LM))
    ids = torch.randint(0, model.config.vocab_size, (batch, seq))
    measured = saved_tensor_bytes(model, {"input_ids": ids, "labels": ids})

    est = estimate_training_memory(path, method, batch_size=batch, seq_len=seq, compute_dtype=torch.bfloat16)
    hidden, vocab = model.config.hidden_size, model.config.vocab_size
    dequantized = 4 * hidden * hidden * 2  # the largest 4-bit weight, dequantized to bfloat16 for its matmul
    loss_tensors = 2 * batch * seq * vocab * 4  # alive in the backward pass, not saved by autograd
    assert est.activations_bytes - dequantized + est.logits_bytes - loss_tensors == measured
