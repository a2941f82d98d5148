"""Measure memory: a model's footprint, and the peak of a block of work.

On CUDA the peak is PyTorch's peak *allocated* memory; on a CPU it is the process's peak
resident memory (RSS), measured from a reset high-water mark on Linux and by sampling
elsewhere. Both report the baseline at the start, so the work's own share is
``peak - baseline``.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

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


# --------------------------------------------------------------------------- estimating
BYTES_PER_PARAM = {"fp32": 4.0, "fp16": 2.0, "bf16": 2.0, "int8": 1.0, "nf4": 0.5}
# Optimizer state per trainable parameter: AdamW keeps two moments in the parameter's dtype
# (fp32 here); the 8-bit variants keep them in one byte each.
OPTIMIZER_BYTES = {"adamw": 8.0, "adamw_8bit": 2.0, "paged_adamw_8bit": 2.0, "sgd": 0.0}
METHODS = ("full", "lora", "qlora", "prompt_tuning")
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


def _dtype_name(dtype: torch.dtype) -> str:
    return {torch.float32: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16"}[dtype]


def saved_activation_bytes(model: torch.nn.Module, batch_size: int, seq_len: int) -> tuple[int, int]:
    """Bytes autograd saves for the backward pass of one forward pass, run on the meta device.

    Every tensor autograd keeps is seen by a saved-tensors hook; weights (and views of them)
    are not counted, since they are in memory anyway. Returns ``(activations, logits)``:
    tensors whose last dimension is the vocabulary (the log-probabilities the loss keeps)
    are reported apart, because a large vocabulary makes them a large share.
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
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(input_ids=ids, labels=ids)
    activations = logits = 0
    for t in seen.values():
        size = t.numel() * t.element_size()
        if t.dim() and t.shape[-1] == vocab:
            logits += size
        else:
            activations += size
    return activations, logits


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
    target_modules: tuple[str, ...] = ("query_key_value",),
    num_virtual_tokens: int = 20,
    double_quant: bool = True,
) -> MemoryEstimate:
    """Predict the peak memory of a training step from the architecture alone (meta device).

    Args:
        config: a config object, config.json or model folder (see ``course_utils.params``).
        method: "full", "lora", "qlora" (NF4 base + LoRA) or "prompt_tuning".
        batch_size: sequences per step.
        seq_len: tokens per sequence.
        dtype: dtype of the (unquantized) weights for full, LoRA and prompt tuning.
        compute_dtype: dtype of the 4-bit matmuls and activations for QLoRA (default ``dtype``).
        optimizer: "adamw", "adamw_8bit", "paged_adamw_8bit" or "sgd".
        gradient_checkpointing: keep only each block's input; recompute the rest in backward.
        lora_r: LoRA rank (LoRA and QLoRA).
        target_modules: modules LoRA adapts.
        num_virtual_tokens: soft prompt length (prompt tuning).
        double_quant: QLoRA's double quantization of the NF4 scales.

    What the libraries do, and the estimate follows: adapters and soft prompts are kept in
    float32 (peft); ``prepare_model_for_kbit_training`` casts every weight it did not
    quantize (embeddings, layer norms, biases) to float32; bitsandbytes quantizes every
    ``nn.Linear`` except the output head; the loss computes the logits in float32; a
    single-tensor AdamW step (the CPU default) briefly holds two temporaries as large as the
    largest trainable weight (the square root of its second moment, then that divided by the
    bias correction); the 8-bit optimizers work block by block and need no such temporaries.
    """
    from peft import LoraConfig, PromptTuningConfig, TaskType, get_peft_model

    from course_utils.params import load_config, model_on_meta

    if method not in METHODS:
        raise ValueError(f"method={method!r}: use one of {METHODS}.")
    if optimizer not in OPTIMIZER_BYTES:
        raise ValueError(f"optimizer={optimizer!r}: use one of {sorted(OPTIMIZER_BYTES)}.")
    config = load_config(config)
    act_dtype = (compute_dtype or dtype) if method == "qlora" else dtype
    model = model_on_meta(config).to(act_dtype)
    head = model.get_output_embeddings()
    # bitsandbytes quantizes these (every linear layer but the output head) for QLoRA
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear) and m is not head]
    quantized = sum(m.weight.numel() for m in linears) if method == "qlora" else 0
    base_params = sum(p.numel() for p in model.parameters())
    if method != "full":
        model.requires_grad_(False)
    if method in ("lora", "qlora"):
        peft_config = LoraConfig(r=lora_r, target_modules=list(target_modules), task_type=TaskType.CAUSAL_LM)
        model = get_peft_model(model, peft_config, autocast_adapter_dtype=False)
    elif method == "prompt_tuning":
        model = get_peft_model(
            model, PromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=num_virtual_tokens)
        )
    if gradient_checkpointing:
        model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        if method != "full":
            model.enable_input_require_grads()
    trainable = [p for p in model.parameters() if p.requires_grad]
    n_trainable = sum(p.numel() for p in trainable)
    weight_bytes = BYTES_PER_PARAM["fp32" if method == "qlora" else _dtype_name(dtype)]
    grad_bytes = weight_bytes if method == "full" else 4.0  # adapters live in float32
    activations, logits = saved_activation_bytes(model, batch_size, seq_len)
    if method == "qlora":  # one layer's weight is dequantized to compute_dtype at a time
        activations += max(m.weight.numel() for m in linears) * BYTES_PER_PARAM[_dtype_name(act_dtype)]
    # The loss keeps float32 log-probabilities (counted in `logits` above); when the backward
    # pass starts, the logits themselves, the gradient of the log-probabilities and the gradient
    # of the logits are alive too: three more tensors of batch x sequence x vocabulary floats.
    logits += 3 * batch_size * seq_len * config.vocab_size * 4
    largest_trainable = max((p.numel() for p in trainable), default=0)
    return MemoryEstimate(
        method=method,
        trainable_params=n_trainable,
        weights_quantized_bytes=int(quantized * nf4_bytes_per_param(double_quant)),
        weights_unquantized_bytes=int(
            (base_params - quantized) * weight_bytes + (n_trainable if method != "full" else 0) * 4
        ),
        gradients_bytes=int(n_trainable * grad_bytes),
        optimizer_bytes=int(n_trainable * OPTIMIZER_BYTES[optimizer] * (grad_bytes / 4)),
        optimizer_workspace_bytes=int(2 * largest_trainable * grad_bytes) if optimizer == "adamw" else 0,
        activations_bytes=int(activations),
        logits_bytes=int(logits),
    )
