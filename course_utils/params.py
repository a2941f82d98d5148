"""Count parameters: of a loaded model, a peft model, or a real architecture with no weights.

A real architecture is built from its config.json on PyTorch's "meta" device: every
tensor has a shape and no storage, so bloom-7b1 "loads" in milliseconds and zero bytes,
and its parameters (and a peft config's added ones) can be counted exactly.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import torch
import transformers
from transformers import AutoConfig, PretrainedConfig


def load_config(config_or_path: PretrainedConfig | str | os.PathLike) -> PretrainedConfig:
    """A config object from an object, a config.json file or a folder holding one."""
    if isinstance(config_or_path, PretrainedConfig):
        return config_or_path
    path = Path(config_or_path)
    if path.is_file():
        path = path.parent
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"No config.json at {config_or_path!s}; give a model folder or its config.json.")
    return AutoConfig.from_pretrained(path)


def model_on_meta(config_or_path: PretrainedConfig | str | os.PathLike, peft_config: Any = None) -> torch.nn.Module:
    """The architecture of a config built on the meta device (no memory, no download).

    Args:
        config_or_path: a config, a config.json, or a folder with one.
        peft_config: optional peft config (LoRA, prompt tuning, ...) applied on top. A copy
            is used: ``get_peft_model`` writes into the config it is given (the base
            model's name, for one), and the caller's config must stay as it was.
    """
    config = load_config(config_or_path)
    architecture = (config.architectures or [None])[0]
    model_class = getattr(transformers, architecture, None) if architecture else None
    with torch.device("meta"):
        model = model_class(config) if model_class else transformers.AutoModel.from_config(config)
        if peft_config is not None:
            from peft import get_peft_model

            peft_config = copy.deepcopy(peft_config)
            # The copy names no base: get_peft_model then records the meta model's folder
            # without warning that it replaced the name a real model had written there.
            peft_config.base_model_name_or_path = None
            model = get_peft_model(model, peft_config)
    return model


def _numel(param: torch.nn.Parameter) -> int:
    # bitsandbytes packs two 4-bit values per byte: count the values, not the bytes.
    if type(param).__name__ == "Params4bit":
        return param.numel() * 2 * param.element_size()
    return param.numel()


def count_params(model_or_config: Any, peft_config: Any = None) -> tuple[int, int]:
    """``(trainable, total)`` parameters; tied weights are counted once.

    Args:
        model_or_config: a model (plain or peft), a config object, or a path to a
            config.json or a model folder.
        peft_config: with a config or path, the peft config to count on top; with a
            model, its config is used on the meta device (the model is not changed).
    """
    if isinstance(model_or_config, torch.nn.Module) and peft_config is None:
        model = model_or_config
    else:
        if isinstance(model_or_config, torch.nn.Module):
            model_or_config = model_or_config.config
        model = model_on_meta(model_or_config, peft_config)
    trainable = total = 0
    for param in model.parameters():
        n = _numel(param)
        total += n
        trainable += n if param.requires_grad else 0
    return trainable, total


def describe_params(model_or_config: Any, peft_config: Any = None) -> str:
    """One line: trainable of total, and the share in percent."""
    trainable, total = count_params(model_or_config, peft_config)
    return f"trainable: {trainable:,} of {total:,} parameters ({100 * trainable / total:.4f}%)"
