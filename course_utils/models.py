"""Load a model and its tokenizer the same way in every notebook.

One function, :func:`load_model_and_tokenizer`, for the four kinds of model the course
uses. It works the same for a Hub id (Colab) and for a local folder (the embedded tiny
models), so a notebook never branches on "tiny or not". Bad input fails early with a
one-line message that says what to do.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForSeq2SeqLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from course_utils.checks import OneLineError

TASKS = {
    "causal_lm": AutoModelForCausalLM,
    "seq2seq": AutoModelForSeq2SeqLM,
    "encoder": AutoModel,
    "sequence_classification": AutoModelForSequenceClassification,
}
TINY_KIND_FOR_TASK = {
    "causal_lm": "bloom",
    "seq2seq": "t5",
    "encoder": "minilm",
    "sequence_classification": "minilm",
}
HUB_HOST = ("huggingface.co", 443)


class ModelNotAvailableError(OneLineError, OSError):
    """The model is neither a local folder, nor cached, nor on a reachable Hub."""


class MissingDependencyError(OneLineError, ImportError):
    """An optional package (such as bitsandbytes) is needed for what was asked."""


def hub_reachable(timeout: float = 2.0) -> bool:
    """True when a TCP connection to the Hugging Face Hub opens within ``timeout`` seconds."""
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0", "false", "False"):
        return False
    try:
        socket.create_connection(HUB_HOST, timeout=timeout).close()
    except OSError:
        return False
    return True


def hub_token() -> str | None:
    """A Hub token from ``HF_TOKEN`` or Colab's secrets, or None. Never printed or stored."""
    token = os.environ.get("HF_TOKEN")
    if token:
        return token
    try:
        from google.colab import userdata  # type: ignore[import-not-found]

        return userdata.get("HF_TOKEN")
    except Exception:  # not in Colab, or no secret named HF_TOKEN
        return None


def _is_cached(model_id: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(model_id, "config.json"), str)


def _on_hub(model_id: str) -> bool:
    """Whether the Hub has a model repository of that id (True when the Hub cannot say)."""
    from huggingface_hub import repo_exists
    from huggingface_hub.errors import HFValidationError

    try:
        return repo_exists(model_id, token=hub_token())
    except HFValidationError:  # not even a valid id (spaces, bad characters)
        return False
    except Exception:  # the Hub did not answer: from_pretrained will say what went wrong
        return True


def check_model_available(name_or_path: str | os.PathLike, task: str = "causal_lm") -> bool:
    """Return True if the weights are local; raise one clear line if they cannot be had.

    Returns:
        True for a local folder, False for a Hub id that is cached or reachable.

    Raises:
        ModelNotAvailableError: a Hub id that is not cached while the Hub is unreachable, or
            that names no model on the Hub (a typo).
    """
    if Path(name_or_path).is_dir():
        return True
    name = str(name_or_path)
    if _is_cached(name):
        return False
    if hub_reachable():
        if not _on_hub(name):
            raise ModelNotAvailableError(
                f"No model {name!r} on the Hugging Face Hub: check the spelling (organisation/name, as on its Hub "
                "page); a private or gated model also needs HF_TOKEN."
            )
        return False
    kind = TINY_KIND_FOR_TASK.get(task, "bloom")
    raise ModelNotAvailableError(
        f"Model {name!r} is not on this machine and the Hugging Face Hub cannot be reached. "
        f"Offline, use the embedded tiny model: course_utils.tiny.tiny_model_path({kind!r}) "
        "(or run the notebook with the tiny profile: make course)."
    )


def native_bf16() -> bool:
    """True on a CUDA GPU with bfloat16 in hardware: compute capability 8.0 (Ampere) or later.

    ``torch.cuda.is_bf16_supported()`` also says True on older GPUs such as the T4
    (capability 7.5), where bfloat16 runs through slow emulation; the capability is what
    tells real support apart.
    """
    return torch.cuda.is_available() and tuple(torch.cuda.get_device_capability()) >= (8, 0)


def cpu_has_fast_bf16() -> bool:
    """True when this CPU multiplies bfloat16 matrices at about float32 speed or faster.

    PyTorch hands bfloat16 matmuls to oneDNN on x86 CPUs with AVX-512 (``get_cpu_capability()``
    says "AVX512"), and those with AVX512-BF16 or AMX run them natively. Without AVX-512, PyTorch
    falls back to generic code, measured here about 80 times slower than float32: a 16-bit
    recipe would then take minutes per step on the tiny model, so the course runs it in float32.
    """
    return torch.backends.cpu.get_cpu_capability().startswith("AVX512")


def compute_dtype() -> torch.dtype:
    """The dtype for 4-bit matmuls: bf16 on GPUs with native support, fp16 on older GPUs (a T4), else fp32."""
    if torch.cuda.is_available():
        return torch.bfloat16 if native_bf16() else torch.float16
    return torch.float32


# A T4 reports 15,095 MiB (14.7 GiB, about 15.8e9 bytes): the real profile needs at least 14 GiB.
REAL_PROFILE_MIN_GPU_BYTES = 14 * 2**30


def recommend_profile(gpu_total_bytes: int | None, hub_ok: bool) -> str:
    """Which profile of the course this machine should run: "real" or "tiny".

    Args:
        gpu_total_bytes: total memory of the CUDA GPU in bytes (None without one), as
            reported by ``torch.cuda.get_device_properties(0).total_memory``; compared
            unrounded with :data:`REAL_PROFILE_MIN_GPU_BYTES` (14 GiB, which a T4 passes).
        hub_ok: the real models can be had (the Hub is reachable, or they are cached).
    """
    enough_memory = gpu_total_bytes is not None and gpu_total_bytes >= REAL_PROFILE_MIN_GPU_BYTES
    return "real" if enough_memory and hub_ok else "tiny"


def quantization_config(quantization: str | None) -> Any:
    """A ``BitsAndBytesConfig`` for "4bit" (NF4, double quantization) or "8bit", else None."""
    if quantization is None:
        return None
    if quantization not in ("4bit", "8bit"):
        raise ValueError(f"quantization={quantization!r}: use None, '4bit' or '8bit'.")
    try:
        import bitsandbytes  # noqa: F401
    except ImportError as err:
        raise MissingDependencyError(
            f"quantization={quantization!r} needs bitsandbytes: pip install bitsandbytes "
            "(the version pinned in requirements.txt)."
        ) from err
    from transformers import BitsAndBytesConfig

    if quantization == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=compute_dtype(),
    )


def disable_cpu_4bit_repacking(model: torch.nn.Module) -> int:
    """Keep bitsandbytes' 4-bit layers trainable on CPUs with AVX512-BF16.

    On such CPUs the first eval-mode forward pass repacks each ``Linear4bit`` weight
    into a faster layout, in place; a training step after that fails with "a view of a
    leaf Variable that requires grad is being used in an in-place operation". Turning
    the repacking off costs a little inference speed and keeps training possible.

    Returns:
        The number of ``Linear4bit`` modules (0 if bitsandbytes is absent).
    """
    try:
        from bitsandbytes.nn import Linear4bit
    except ImportError:
        return 0
    layers = [m for m in model.modules() if isinstance(m, Linear4bit)]
    for layer in layers:
        layer.support_avx512bf16_for_cpu = False
    return len(layers)


def load_model_and_tokenizer(
    name_or_path: str | os.PathLike,
    *,
    task: str = "causal_lm",
    quantization: str | None = None,
    dtype: torch.dtype | None = None,
    **model_kwargs: Any,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a model and its tokenizer from a Hub id or a local folder.

    Args:
        name_or_path: a Hub id ("bigscience/bloomz-560m") or a local folder
            (``course_utils.tiny.tiny_model_path("bloom")``).
        task: "causal_lm", "seq2seq", "encoder" or "sequence_classification".
        quantization: None, "4bit" (NF4 + double quantization) or "8bit" (bitsandbytes).
        dtype: weights dtype for unquantized loads (default: as stored, else fp32).
        **model_kwargs: passed to ``from_pretrained`` (e.g. ``num_labels=2``).

    Returns:
        ``(model, tokenizer)``; the tokenizer always has a pad token.

    Raises:
        ValueError: an unknown task or quantization.
        ModelNotAvailableError: a Hub id that cannot be reached offline.
        MissingDependencyError: quantization asked for without bitsandbytes.
    """
    if task not in TASKS:
        raise ValueError(f"task={task!r}: use one of {sorted(TASKS)}.")
    bnb_config = quantization_config(quantization)
    is_local = check_model_available(name_or_path, task)
    common: dict[str, Any] = {} if is_local else {"token": hub_token()}

    tokenizer = AutoTokenizer.from_pretrained(name_or_path, **common)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    if bnb_config is not None:
        model_kwargs["quantization_config"] = bnb_config
        model_kwargs.setdefault("device_map", "auto" if torch.cuda.is_available() else "cpu")
    if dtype is not None:
        model_kwargs["dtype"] = dtype
    model = TASKS[task].from_pretrained(name_or_path, use_safetensors=True, **common, **model_kwargs)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    if quantization == "4bit":
        disable_cpu_4bit_repacking(model)
    return model, tokenizer


def choose_device() -> torch.device:
    """CUDA when present, else Apple's MPS, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
