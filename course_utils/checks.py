"""A learner's likely mistakes, caught before they become a long traceback.

Each check raises :class:`CourseInputError` with one line that names the problem and the fix.
In a notebook IPython shows that line alone (``_render_traceback_``), not the stack; in a
script or a test it is an ordinary ``ValueError``.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Iterable
from pathlib import Path

import torch


class OneLineError(Exception):
    """An error that a notebook shows as its message alone: the message says what to do."""

    def _render_traceback_(self) -> list[str]:  # IPython calls this instead of printing the stack
        return [f"{type(self).__name__}: {self}"]


class CourseInputError(OneLineError, ValueError):
    """A parameter, a module name or a folder the course cannot use as given."""


def check_positive(**values: float) -> None:
    """Raise if any value is not a positive number, e.g. ``check_positive(BATCH_SIZE=BATCH_SIZE)``."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
            raise CourseInputError(f"{name} = {value!r}: it must be a positive number; set it in the parameters cell.")


def linear_layer_names(model: torch.nn.Module) -> list[str]:
    """The distinct last names of the model's linear layers (what LoRA's ``target_modules`` matches).

    Counts ``nn.Linear``, bitsandbytes' 4- and 8-bit linears (subclasses of it) and GPT-2's
    ``Conv1D``; leaves out the output head, which LoRA does not adapt by default.
    """
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    names = {
        name.removesuffix(".base_layer").rsplit(".", 1)[-1]  # a peft-wrapped layer keeps its own name
        for name, module in model.named_modules()
        if module is not head
        and ".lora_" not in name  # peft's own A and B matrices are not targets
        and (isinstance(module, torch.nn.Linear) or type(module).__name__ == "Conv1D")
    }
    return sorted(names)


def check_lora_targets(model: torch.nn.Module, target_modules: str | Iterable[str]) -> None:
    """Raise if a LoRA target module name matches no linear layer of ``model``; list the names it has.

    A single string ("all-linear", or a regular expression) is peft's to match, and passes.
    """
    if isinstance(target_modules, str):
        return
    available = linear_layer_names(model)
    missing = sorted(t for t in target_modules if t not in available)
    if missing:
        raise CourseInputError(
            f"target_modules {missing} name no linear layer of this model ({type(model).__name__}); "
            f"its linear layers are {available}."
        )


def check_adapter_fits(adapter_dir: str | Path, model: torch.nn.Module) -> None:
    """Raise if the adapter in ``adapter_dir`` was trained on a model of another shape than ``model``.

    Compares, for every LoRA ``A`` matrix saved, its input width with that of the layer of
    ``model`` it would attach to (matched by the layer's name), so a folder from another
    model, or a missing folder, is one line instead of peft's size-mismatch traceback.
    """
    from safetensors import safe_open

    folder = Path(adapter_dir)
    weights = folder / "adapter_model.safetensors"
    if not weights.is_file():
        raise CourseInputError(
            f"No adapter in {folder} (no adapter_model.safetensors): train and save one there first."
        )
    base = json.loads((folder / "adapter_config.json").read_text()).get("base_model_name_or_path")
    widths = {
        name.removeprefix("base_model.model.").removesuffix(".base_layer"): module.in_features
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear)
    }
    with safe_open(weights, framework="pt") as saved:
        for key in saved.keys():
            if ".lora_A." not in key:
                continue
            layer = key.removeprefix("base_model.model.").split(".lora_A.")[0]
            saved_width = saved.get_slice(key).get_shape()[1]
            if layer not in widths or widths[layer] != saved_width:
                found = f"width {widths[layer]}" if layer in widths else "no such layer"
                raise CourseInputError(
                    f"The adapter in {folder} was trained on another model ({base!r}): its layer {layer} takes "
                    f"{saved_width} inputs, this model has {found}. Load it onto the model it was trained on."
                )
