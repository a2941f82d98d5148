"""Measure memory: a model's footprint, and the peak of a block of work.

On CUDA the peak is PyTorch's peak *allocated* memory; on a CPU it is the process's peak
resident memory (RSS), measured from a reset high-water mark on Linux and by sampling
elsewhere. Both report the baseline at the start, so the work's own share is
``peak - baseline``.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import re
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import psutil
import torch

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def model_footprint(model: torch.nn.Module) -> int:
    """Bytes taken by a model's parameters and buffers (tied weights counted once)."""
    seen, total = set(), 0
    for tensor in [*model.parameters(), *model.buffers()]:
        if tensor.data_ptr() in seen or tensor.device.type == "meta":
            continue
        seen.add(tensor.data_ptr())
        total += tensor.numel() * tensor.element_size()
    return total


def folder_bytes(path: str | Path) -> int:
    """Total size of the files under a folder (an adapter, a checkpoint)."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def rss_bytes() -> int:
    """Resident memory of this process now."""
    return psutil.Process().memory_info().rss


def _reset_rss_peak() -> bool:
    try:
        _CLEAR_REFS.write_text("5")  # Linux: reset VmHWM, the peak RSS, to the current RSS
        return True
    except OSError:
        return False


def _rss_peak() -> int:
    return int(re.search(r"VmHWM:\s+(\d+) kB", _STATUS.read_text()).group(1)) * 1024


@dataclass
class PeakMemory:
    """Context manager: peak memory of the block it wraps.

    Example:
        >>> with PeakMemory() as mem:
        ...     loss = model(**batch).loss; loss.backward()
        >>> mem.delta_bytes  # peak during the block minus memory in use before it

    Attributes:
        device: "cuda" or "cpu".
        method: "cuda peak allocated", "cpu peak RSS" or "cpu sampled RSS".
        baseline_bytes: memory in use when the block started.
        peak_bytes: highest memory in use during the block.
    """

    device: str = "cuda" if torch.cuda.is_available() else "cpu"
    method: str = ""
    baseline_bytes: int = 0
    peak_bytes: int = 0
    interval_s: float = 0.002

    def __enter__(self) -> PeakMemory:
        if self.device == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.method, self.baseline_bytes = "cuda peak allocated", torch.cuda.memory_allocated()
            return self
        self.baseline_bytes = rss_bytes()
        if _reset_rss_peak():
            self.method = "cpu peak RSS"
        else:
            self.method, self._stop = "cpu sampled RSS", threading.Event()
            self._sampled = self.baseline_bytes
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._sampled = max(self._sampled, rss_bytes())
            time.sleep(self.interval_s)

    def __exit__(self, *exc) -> None:
        if self.device == "cuda":
            torch.cuda.synchronize()
            self.peak_bytes = torch.cuda.max_memory_allocated()
        elif self.method == "cpu peak RSS":
            self.peak_bytes = _rss_peak()
        else:
            self._stop.set()
            self._thread.join()
            self.peak_bytes = max(self._sampled, rss_bytes())

    @property
    def delta_bytes(self) -> int:
        """Peak during the block minus the baseline."""
        return max(0, self.peak_bytes - self.baseline_bytes)

    def as_dict(self) -> dict:
        """Figures for metrics.json."""
        return {
            "device": self.device,
            "method": self.method,
            "baseline_bytes": self.baseline_bytes,
            "peak_bytes": self.peak_bytes,
            "delta_bytes": self.delta_bytes,
        }


def free_memory() -> None:
    """Give back the memory of objects just deleted: collect them, empty CUDA's cache, trim the C heap.

    Call it after ``del model, trainer`` between runs. On a GPU, PyTorch keeps freed blocks in
    its cache until ``torch.cuda.empty_cache()``; on Linux, glibc keeps freed heap pages, which
    still count as the process's memory, until ``malloc_trim``. Elsewhere that step is skipped.
    """
    import ctypes
    import gc

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


# --------------------------------------------------------------------------- estimating
BYTES_PER_PARAM = {"fp32": 4.0, "fp16": 2.0, "bf16": 2.0, "int8": 1.0, "nf4": 0.5}
# Optimizer state per trainable parameter: AdamW keeps two moments in the parameter's dtype
# (fp32 here); the 8-bit variants keep them in one byte each.
OPTIMIZER_BYTES = {"adamw": 8.0, "adamw_8bit": 2.0, "paged_adamw_8bit": 2.0, "sgd": 0.0}
METHODS = ("full", "lora", "qlora", "qlora_lean", "prompt_tuning")
NF4_BLOCK, NF4_SECOND_BLOCK = 64, 256


def nf4_bytes_per_param(double_quant: bool = True) -> float:
    """NF4 storage per weight: half a byte, plus one scale (absmax) per block of 64 weights.

    Without double quantization each scale is a float32 (4 bytes / 64 weights); with it,
    the scales are themselves quantized to 8 bits, with one float32 per 256 scales.
    """
    if double_quant:
        return 0.5 + 1 / NF4_BLOCK + 4 / (NF4_BLOCK * NF4_SECOND_BLOCK)
    return 0.5 + 4 / NF4_BLOCK


@dataclass
class MemoryEstimate:
    """Predicted memory of one training step, in bytes, by part.

    The parts are not all alive at once. During the backward pass the saved activations and
    the logits are alive while the gradients are still being produced; at the optimizer step
    the activations are gone and the gradients (plus the optimizer's temporary buffers) are
    complete. So ``total_bytes`` = weights + optimizer state + the larger of those two phases.
    """

    method: str
    trainable_params: int
    weights_quantized_bytes: int
    weights_unquantized_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    optimizer_workspace_bytes: int
    activations_bytes: int
    logits_bytes: int

    @property
    def weights_bytes(self) -> int:
        """All weights as stored, quantized or not."""
        return self.weights_quantized_bytes + self.weights_unquantized_bytes

    @property
    def total_bytes(self) -> int:
        """The predicted peak: weights, optimizer state and the larger phase of the step."""
        backward = self.activations_bytes + self.logits_bytes
        step = self.gradients_bytes + self.optimizer_workspace_bytes
        return self.weights_bytes + self.optimizer_bytes + max(backward, step)

    def fits(self, budget_bytes: float) -> bool:
        """Whether the predicted peak fits in ``budget_bytes`` (e.g. 15.3e9, what a T4 leaves free)."""
        return self.total_bytes <= budget_bytes

    def as_dict(self) -> dict:
        """Every part and the total, for metrics.json."""
        return {**dataclasses.asdict(self), "weights_bytes": self.weights_bytes, "total_bytes": self.total_bytes}


def _is_norm(module: torch.nn.Module) -> bool:
    """A normalisation layer (LayerNorm, RMSNorm, T5's LayerNorm...): what the lean QLoRA recipe keeps in float32."""
    return "Norm" in type(module).__name__


def _compute_like_linear4bit(layer: torch.nn.Linear, compute: torch.dtype) -> None:
    """Make a (meta) linear layer compute as bitsandbytes' ``Linear4bit`` does.

    Its weight is dequantized to the compute dtype for the matmul, its input is cast to that
    dtype (and saved so for the backward pass), and its output is cast back to the input's
    dtype: after the stock recipe's float32 casts, the hidden states between the layers stay
    float32 even when the matmuls run in float16.
    """
    layer.to(compute)
    matmul = layer.forward

    def forward(x: torch.Tensor) -> torch.Tensor:
        return matmul(x.to(compute)).to(x.dtype)

    layer.forward = forward


def _dtype_name(dtype: torch.dtype) -> str:
    return {torch.float32: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16"}[dtype]


# Architectures the estimator (and the planner) is tested on: how each is trained in the course.
# "causal": next-token loss over the vocabulary; "seq2seq": the decoder's loss over the
# vocabulary; "classifier": an encoder with a 2-label classification head (notebook 05).
PLANNABLE = {
    "bloom": "causal",
    "llama": "causal",
    "mistral": "causal",
    "qwen2": "causal",
    "t5": "seq2seq",
    "bert": "classifier",
    "distilbert": "classifier",
}
LORA_TARGETS = {"distilbert": ("q_lin", "v_lin")}  # where peft's own table has no entry


def training_kind(config) -> str:
    """How a config's model is trained here: "causal", "seq2seq" or "classifier".

    Raises:
        ValueError: an architecture the estimator has not been checked on.
    """
    kind = PLANNABLE.get(config.model_type)
    if kind is None:
        raise ValueError(
            f"model_type {config.model_type!r} is not one the estimator has been checked on; "
            f"it plans {', '.join(sorted(PLANNABLE))}."
        )
    return kind


def default_lora_targets(config) -> tuple[str, ...]:
    """The modules LoRA adapts by default for this architecture (peft's table, as ``get_peft_model`` uses it)."""
    from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as PEFT_TARGETS

    found = LORA_TARGETS.get(config.model_type) or PEFT_TARGETS.get(config.model_type)
    if not found:
        raise ValueError(f"No default LoRA target modules for model_type {config.model_type!r}; pass target_modules.")
    return tuple(found)


def _training_model_on_meta(config, kind: str) -> torch.nn.Module:
    from transformers import AutoModelForSequenceClassification

    from course_utils.params import model_on_meta

    if kind != "classifier":
        return model_on_meta(config)
    config = copy.deepcopy(config)
    config.num_labels = 2
    with torch.device("meta"):
        return AutoModelForSequenceClassification.from_config(config)


def saved_activation_bytes(
    model: torch.nn.Module, batch_size: int, seq_len: int, classifier: bool = False
) -> tuple[int, int]:
    """Bytes autograd saves for the backward pass of one forward pass, run on the meta device.

    Every tensor autograd keeps is seen by a saved-tensors hook; weights (and views of them)
    are not counted, since they are in memory anyway. Returns ``(activations, logits)``:
    tensors whose last dimension is the vocabulary (the log-probabilities the loss keeps)
    are reported apart, because a large vocabulary makes them a large share. A
    ``classifier`` gets one label per sequence instead of a token per position.
    """
    params = {id(p) for p in model.parameters()}
    vocab = model.config.vocab_size
    seen: dict[int, torch.Tensor] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        base = tensor._base if tensor._base is not None else tensor
        if id(base) not in params:
            seen[id(base)] = base  # keep a reference: ids stay unique
        return tensor

    model.train()
    ids = torch.zeros(batch_size, seq_len, dtype=torch.long, device="meta")
    labels = torch.zeros(batch_size, dtype=torch.long, device="meta") if classifier else ids
    # Without a key/value cache (training), Llama-style models look at the position values to
    # detect packed sequences, which a meta tensor cannot show; these batches are not packed,
    # which is the answer the check would give.
    with (
        mock.patch("transformers.masking_utils.find_packed_sequence_indices", return_value=None),
        torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t),
    ):
        model(input_ids=ids, labels=labels)
    activations = logits = 0
    for t in seen.values():
        size = t.numel() * t.element_size()
        if t.dim() and t.shape[-1] == vocab:
            logits += size
        else:
            activations += size
    return activations, logits


def saved_tensor_bytes(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> int:
    """Bytes autograd keeps for the backward pass of one real training-mode forward pass on ``batch``.

    The measured counterpart of :func:`saved_activation_bytes`: every tensor saved for the
    backward pass is seen by a saved-tensors hook and counted once per storage; the model's
    own parameters (and views of them) are not counted, since they are in memory anyway. Pass
    ``labels`` in ``batch`` to include what the loss keeps. The model's train/eval mode is
    restored afterwards; its weights are not touched.
    """
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    storages: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in weights:
            storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    was_training = model.training
    model.train()
    try:
        with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            output = model(**batch)  # held until the sum: the saved tensors stay alive, no address is reused
            total = sum(storages.values())
            del output
    finally:
        model.train(was_training)
    return total


def optimizer_state_bytes(optimizer: torch.optim.Optimizer) -> int:
    """Bytes of every tensor an optimizer keeps (AdamW: two moments per trainable parameter, and a step count)."""
    return sum(
        value.numel() * value.element_size()
        for state in optimizer.state.values()
        for value in state.values()
        if isinstance(value, torch.Tensor)
    )


def estimate_training_memory(
    config,
    method: str,
    *,
    batch_size: int = 1,
    seq_len: int = 512,
    dtype: torch.dtype = torch.float32,
    compute_dtype: torch.dtype | None = None,
    optimizer: str = "adamw",
    gradient_checkpointing: bool = False,
    lora_r: int = 8,
    target_modules: tuple[str, ...] | None = None,
    num_virtual_tokens: int = 20,
    double_quant: bool = True,
) -> MemoryEstimate:
    """Predict the peak memory of a training step from the architecture alone (meta device).

    Args:
        config: a config object, config.json or model folder (see ``course_utils.params``),
            of an architecture in ``PLANNABLE``; an encoder is planned as a 2-label classifier.
        method: "full", "lora", "qlora" (NF4 base + LoRA, prepared by peft's
            ``prepare_model_for_kbit_training``), "qlora_lean" (the same NF4 base + LoRA, but
            what is not 4-bit stays in ``compute_dtype``, the norms alone in float32) or
            "prompt_tuning".
        batch_size: sequences per step.
        seq_len: tokens per sequence.
        dtype: dtype of the (unquantized) weights for full, LoRA and prompt tuning.
        compute_dtype: dtype of the 4-bit matmuls and activations for QLoRA (default ``dtype``).
        optimizer: "adamw", "adamw_8bit", "paged_adamw_8bit" or "sgd".
        gradient_checkpointing: keep only each block's input; recompute the rest in backward.
        lora_r: LoRA rank (LoRA and QLoRA).
        target_modules: modules LoRA adapts (default: peft's choice for the architecture,
            ``query_key_value`` for Bloom).
        num_virtual_tokens: soft prompt length (prompt tuning).
        double_quant: QLoRA's double quantization of the NF4 scales.

    What the libraries do, and the estimate follows: adapters and soft prompts are kept in
    float32 (peft); ``prepare_model_for_kbit_training`` casts every weight it did not
    quantize (embeddings, layer norms, biases) to float32; bitsandbytes quantizes every
    ``nn.Linear`` except the output head, and each such layer casts its input to the compute
    dtype and its output back (so the stock recipe's hidden states stay float32, the lean
    recipe's 16-bit: the meta forward pass does the same casts); the loss computes the logits in float32; a
    single-tensor AdamW step (the CPU default) briefly holds two temporaries as large as the
    largest trainable weight (the square root of its second moment, then that divided by the
    bias correction); the 8-bit optimizers work block by block and need no such temporaries.
    """
    from peft import LoraConfig, PromptTuningConfig, TaskType, get_peft_model

    from course_utils.params import load_config

    if method not in METHODS:
        raise ValueError(f"method={method!r}: use one of {METHODS}.")
    if optimizer not in OPTIMIZER_BYTES:
        raise ValueError(f"optimizer={optimizer!r}: use one of {sorted(OPTIMIZER_BYTES)}.")
    config = load_config(config)
    kind = training_kind(config)
    if method == "qlora_lean" and kind == "seq2seq":
        raise ValueError(
            f"method='qlora_lean' does not run on {config.model_type}: its norms, kept in float32, turn the hidden "
            "states to float32, and its attention then refuses the 16-bit position bias; plan it with method='qlora'."
        )
    task_type = {"causal": TaskType.CAUSAL_LM, "seq2seq": TaskType.SEQ_2_SEQ_LM, "classifier": TaskType.SEQ_CLS}[kind]
    four_bit = method in ("qlora", "qlora_lean")
    act_dtype = (compute_dtype or dtype) if four_bit else dtype  # the 4-bit matmuls' dtype for QLoRA
    # what is not 4-bit: float32 once prepare_model_for_kbit_training has cast it (qlora), else act_dtype
    model = _training_model_on_meta(config, kind).to(torch.float32 if method == "qlora" else act_dtype)
    all_linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    head = all_linears[-1] if kind == "classifier" else model.get_output_embeddings()
    # bitsandbytes quantizes these (every linear layer but the output head) for QLoRA
    linears = [m for m in all_linears if m is not head]
    if four_bit:
        for m in linears:
            _compute_like_linear4bit(m, act_dtype)
    quantized = sum(m.weight.numel() for m in linears) if four_bit else 0
    base_params = sum(p.numel() for p in model.parameters())
    norms = [m for m in model.modules() if _is_norm(m)]
    norm_params = sum(p.numel() for m in norms for p in m.parameters(recurse=False))
    if method == "qlora_lean":  # the lean recipe keeps the norms alone in float32
        for m in norms:
            m.float()
    if method != "full":
        model.requires_grad_(False)
    with warnings.catch_warnings():  # peft 0.21 still reads transformers' deprecated checkpointing flag
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated")
        if method in ("lora", "qlora", "qlora_lean"):
            targets = list(target_modules or default_lora_targets(config))
            peft_config = LoraConfig(r=lora_r, target_modules=targets, task_type=task_type)
            model = get_peft_model(model, peft_config)
        elif method == "prompt_tuning":
            token_dim = model.get_input_embeddings().embedding_dim
            prompt_config = PromptTuningConfig(
                task_type=task_type,
                num_virtual_tokens=num_virtual_tokens,
                token_dim=token_dim,
                num_attention_heads=config.num_attention_heads,
                num_layers=config.num_hidden_layers,
            )
            model = get_peft_model(model, prompt_config)
        if gradient_checkpointing:
            model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
            if method != "full":
                model.enable_input_require_grads()
        trainable = [p for p in model.parameters() if p.requires_grad]
        n_trainable = sum(p.numel() for p in trainable)
        weight_bytes = BYTES_PER_PARAM["fp32" if method == "qlora" else _dtype_name(act_dtype)]
        grad_bytes = weight_bytes if method == "full" else 4.0  # adapters live in float32
        activations, logits = saved_activation_bytes(model, batch_size, seq_len, classifier=kind == "classifier")
    unquantized = (base_params - quantized) * weight_bytes
    if method == "qlora_lean":  # the norms in float32, the rest (embedding, head, biases) in act_dtype
        unquantized += norm_params * (4 - weight_bytes)
    if four_bit:  # one layer's weight is dequantized to compute_dtype at a time
        activations += max(m.weight.numel() for m in linears) * BYTES_PER_PARAM[_dtype_name(act_dtype)]
    if kind != "classifier":
        # The loss keeps float32 log-probabilities (counted in `logits` above). The backward pass
        # starts there: the gradient of the log-probabilities, then from both the gradient of the
        # logits, two more float32 tensors of batch x sequence x vocabulary alive at once. (The
        # logits themselves are freed with the model's output once the loss is taken; with a
        # 16-bit head they and their float32 copy are alive in the forward pass, 10 bytes a value,
        # less than these 12.) Measured on bloomz-560m's shape by `make bench`: within 3%.
        logits += 2 * batch_size * seq_len * config.vocab_size * 4
    largest_trainable = max((p.numel() for p in trainable), default=0)
    return MemoryEstimate(
        method=method,
        trainable_params=n_trainable,
        weights_quantized_bytes=int(quantized * nf4_bytes_per_param(double_quant)),
        weights_unquantized_bytes=int(unquantized + (n_trainable if method != "full" else 0) * 4),
        gradients_bytes=int(n_trainable * grad_bytes),
        optimizer_bytes=int(n_trainable * OPTIMIZER_BYTES[optimizer] * (grad_bytes / 4)),
        optimizer_workspace_bytes=int(2 * largest_trainable * grad_bytes) if optimizer == "adamw" else 0,
        activations_bytes=int(activations),
        logits_bytes=int(logits),
    )


# --------------------------------------------------------------------------- the planner
class ConfigNotAvailableError(OSError):
    """A model's config.json can be neither read locally nor downloaded."""


def load_planning_config(source: str | Path):
    """The config of a model to plan: a folder or config.json, a stored real config, or a Hub id.

    A Hub id costs one small download (its config.json, no weights); the course's real
    models (``course_utils.paths.REAL_CONFIGS``) are read from ``data/configs`` with no
    network at all.

    Raises:
        ConfigNotAvailableError: one line naming the problem and the fix.
    """
    from course_utils.params import load_config
    from course_utils.paths import REAL_CONFIGS, real_config_path

    if Path(source).exists():
        return load_config(source)
    if str(source) in REAL_CONFIGS:
        return load_config(real_config_path(str(source)))
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import GatedRepoError, LocalEntryNotFoundError, RepositoryNotFoundError

    from course_utils.models import hub_token

    try:
        return load_config(hf_hub_download(str(source), "config.json", token=hub_token()))
    except GatedRepoError:
        reason = "the model is gated: accept its licence on the Hub and set HF_TOKEN"
    except RepositoryNotFoundError:
        reason = "no such model on the Hub (check the spelling, e.g. bigscience/bloom-7b1)"
    except (LocalEntryNotFoundError, OSError, ValueError) as err:  # offline, no network, a malformed id
        reason = f"the Hub cannot be reached ({type(err).__name__}) and it is not cached"
    raise ConfigNotAvailableError(
        f"No config.json for {str(source)!r}: {reason}. Give a local folder or config.json instead."
    )


def format_plan(source: str, config, estimate: MemoryEstimate, budget_bytes: float, setup: str) -> str:
    """The planner's report: each part of the estimate in GB and whether the peak fits the budget."""
    gb = 1e9
    kind = training_kind(config)
    arch = (config.architectures or [type(config).__name__])[0]
    trained_as = {"causal": "next-token loss", "seq2seq": "decoder loss", "classifier": "as a 2-label classifier"}
    weights_note = (
        f"{estimate.weights_quantized_bytes / gb:.3f} in NF4, {estimate.weights_unquantized_bytes / gb:.3f} "
        + ("not quantized (float32)" if estimate.method == "qlora" else "not quantized (16-bit; the norms float32)")
        if estimate.method in ("qlora", "qlora_lean")
        else ""
    )
    logits_note = (
        "the logits and the loss's tensors over the vocabulary"
        if kind != "classifier"
        else "none to speak of: the head scores 2 labels"
    )
    rows = [
        ("weights", estimate.weights_bytes, weights_note),
        ("gradients", estimate.gradients_bytes, f"of {estimate.trainable_params:,} trainable parameters"),
        ("optimizer state", estimate.optimizer_bytes, ""),
        ("optimizer temporaries", estimate.optimizer_workspace_bytes, "only during the optimizer step"),
        ("activations", estimate.activations_bytes, "saved for the backward pass"),
        ("logits", estimate.logits_bytes, logits_note),
    ]
    lines = [f"{source}: {config.model_type} ({arch}), planned with its {trained_as[kind]}", setup]
    lines += [f"  {name:<22}{size / gb:9.3f} GB  {note}".rstrip() for name, size, note in rows]
    lines.append(
        f"  {'peak':<22}{estimate.total_bytes / gb:9.3f} GB  weights + optimizer state + the larger of "
        "(activations + logits) and (gradients + optimizer temporaries)"
    )
    spare = budget_bytes - estimate.total_bytes
    if spare >= 0:
        lines.append(f"fits in {budget_bytes / gb:.2f} GB: yes, {spare / gb:.2f} GB to spare")
    else:
        tries = ["a smaller --batch-size or --seq-len"]
        if estimate.activations_bytes > estimate.logits_bytes:
            tries.insert(0, "--gradient-checkpointing")
        if estimate.method != "qlora_lean":  # the smallest weights the estimator knows
            tries.append("--method qlora_lean")
        lines.append(f"fits in {budget_bytes / gb:.2f} GB: no, {-spare / gb:.2f} GB over (try {', '.join(tries)})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m course_utils.memory <model> ...``: plan a training run before loading anything.

    Exit status: 0 if the run fits the budget, 1 if it does not, 2 if the model cannot be planned.
    """
    import argparse
    import sys

    import transformers

    parser = argparse.ArgumentParser(
        prog="python -m course_utils.memory",
        description="Predict the peak memory of one training step from a model's config.json alone.",
    )
    parser.add_argument("model", help="a model folder, its config.json, or a Hub id (only config.json is fetched)")
    parser.add_argument("--method", choices=METHODS, default="qlora")
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--seq-len", type=int, default=512)
    parser.add_argument("--gpu-gb", type=float, default=15.3, help="budget in GB of 1e9 bytes (a T4 leaves 15.3)")
    parser.add_argument(
        "--dtype",
        choices=("fp32", "fp16", "bf16"),
        default="fp16",
        help="weights for full, lora, prompt_tuning; compute dtype for qlora and qlora_lean (and its 16-bit weights)",
    )
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZER_BYTES), default="adamw")
    parser.add_argument("--gradient-checkpointing", action="store_true")
    parser.add_argument("--lora-r", type=int, default=8)
    parser.add_argument("--target-modules", nargs="+", default=None, help="default: peft's choice for the model")
    args = parser.parse_args(argv)
    for name in ("batch_size", "seq_len", "lora_r"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive whole number, not {getattr(args, name)}")
    if args.gpu_gb <= 0:
        parser.error(f"--gpu-gb must be positive, not {args.gpu_gb}")
    transformers.logging.set_verbosity_error()
    # On CPUs with AVX512-BF16, bitsandbytes (which peft imports) logs that an optional `kernels`
    # package is missing: nothing a planner's user can act on (the notebooks quiet it the same way).
    logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)
    dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[args.dtype]
    try:
        config = load_planning_config(args.model)
        targets = tuple(args.target_modules) if args.target_modules else None
        if args.method in ("lora", "qlora", "qlora_lean") and targets is None:
            targets = default_lora_targets(config)
        estimate = estimate_training_memory(
            config,
            args.method,
            batch_size=args.batch_size,
            seq_len=args.seq_len,
            dtype=torch.float32 if args.method == "qlora" else dtype,
            compute_dtype=dtype if args.method in ("qlora", "qlora_lean") else None,
            optimizer=args.optimizer,
            gradient_checkpointing=args.gradient_checkpointing,
            lora_r=args.lora_r,
            target_modules=targets,
        )
    except (ConfigNotAvailableError, ValueError) as err:
        print(f"cannot plan: {err}", file=sys.stderr)
        return 2
    four_bit = args.method in ("qlora", "qlora_lean")
    adapter = f" | LoRA r={args.lora_r} on {', '.join(targets)}" if args.method == "lora" or four_bit else ""
    setup = (
        f"{args.method} | batch {args.batch_size} x {args.seq_len} tokens | "
        f"{'compute ' if four_bit else 'weights '}{args.dtype} | {args.optimizer}{adapter} | "
        f"gradient checkpointing {'on' if args.gradient_checkpointing else 'off'}"
    )
    print(format_plan(args.model, config, estimate, args.gpu_gb * 1e9, setup))
    return 0 if estimate.fits(args.gpu_gb * 1e9) else 1


if __name__ == "__main__":
    raise SystemExit(main())
