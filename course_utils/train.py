"""Generation and logits the same way in every notebook: the plumbing around ``model.generate``.

The training itself (collators, ``TrainingArguments``, ``Trainer``, ``SFTTrainer``) is written
in the notebooks, where a learner can read and copy it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase


@contextmanager
def padding_side(tokenizer: PreTrainedTokenizerBase, side: str) -> Iterator[PreTrainedTokenizerBase]:
    """Pad on ``side`` ("left" or "right") inside the block, then restore the tokenizer's own side."""
    previous, tokenizer.padding_side = tokenizer.padding_side, side
    try:
        yield tokenizer
    finally:
        tokenizer.padding_side = previous


@torch.no_grad()
def generate(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    *,
    max_new_tokens: int = 40,
    batch_size: int | None = None,
) -> list[str]:
    """Greedy, batched generation; returns only the new text of each prompt.

    Args:
        batch_size: prompts per ``model.generate`` call (default: all of them in one).
    """
    model.eval()
    size = batch_size or max(1, len(prompts))
    texts: list[str] = []
    for start in range(0, len(prompts), size):
        with padding_side(tokenizer, "right" if model.config.is_encoder_decoder else "left"):
            batch = tokenizer(list(prompts[start : start + size]), return_tensors="pt", padding=True).to(model.device)
        out = model.generate(
            **batch, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id
        )
        if not model.config.is_encoder_decoder:
            out = out[:, batch["input_ids"].shape[1] :]
        texts += [text.strip() for text in tokenizer.batch_decode(out, skip_special_tokens=True)]
    return texts


@torch.no_grad()
def logits_of(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, texts: Sequence[str]) -> torch.Tensor:
    """The model's output logits for a padded batch of texts (for exact comparisons)."""
    model.eval()
    batch = tokenizer(list(texts), return_tensors="pt", padding=True).to(model.device)
    return model(**batch).logits.float().cpu()
