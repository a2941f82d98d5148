"""Score answers by likelihood, and read labels out of generated text.

Evaluation harnesses (for MMLU, for classification with a language model) do not trust a
model to *write* the answer in the right form: they ask how likely each allowed answer is
after the prompt and pick the likeliest. ``choose`` does that; ``parse_label`` is the
other way, reading a label from what the model generated.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from course_utils.train import padding_side


@torch.no_grad()
def completion_logprobs(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    completions: Sequence[str],
    *,
    batch_size: int = 32,
) -> torch.Tensor:
    """Sum of the log-probabilities of each completion's tokens, given its prompt.

    Causal LMs read ``prompt + completion``; only the completion's tokens are scored (so a
    leading space belongs in the completion). Seq2seq models read the prompt and score the
    completion as the target. Works through peft wrappers, including prompt tuning (whose
    virtual tokens are prepended to the logits and skipped here).
    """
    if len(prompts) != len(completions):
        raise ValueError(f"{len(prompts)} prompts but {len(completions)} completions.")
    model.eval()
    scores = []
    with padding_side(tokenizer, "right"):
        for start in range(0, len(prompts), batch_size):
            p = list(prompts[start : start + batch_size])
            c = list(completions[start : start + batch_size])
            scores.append(_score_batch(model, tokenizer, p, c))
    return torch.cat(scores)


def _score_batch(model, tokenizer, prompts: list[str], completions: list[str]) -> torch.Tensor:
    device = model.device
    if model.config.is_encoder_decoder:
        enc = tokenizer(prompts, return_tensors="pt", padding=True).to(device)
        labels = tokenizer(completions, return_tensors="pt", padding=True)["input_ids"].to(device)
        labels[labels == tokenizer.pad_token_id] = -100
        logits = model(**enc, labels=labels).logits
        targets = labels
    else:
        batch = tokenizer([p + c for p, c in zip(prompts, completions, strict=True)], return_tensors="pt", padding=True)
        batch = batch.to(device)
        labels = batch["input_ids"].clone()
        labels[batch["attention_mask"] == 0] = -100
        for row, prompt_ids in enumerate(tokenizer(prompts)["input_ids"]):
            labels[row, : len(prompt_ids)] = -100
        logits = model(**batch).logits[:, -labels.shape[1] :]  # drop prompt-tuning's virtual tokens
        logits, targets = logits[:, :-1], labels[:, 1:]  # position t predicts token t + 1
    logprobs = torch.log_softmax(logits.float(), dim=-1)
    mask = targets != -100
    picked = logprobs.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return (picked * mask).sum(dim=1).cpu()


def choose(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    options: Sequence[Sequence[str]],
) -> list[int]:
    """For each prompt, the index of its likeliest option (options may differ per prompt)."""
    flat_prompts = [p for p, opts in zip(prompts, options, strict=True) for _ in opts]
    flat_options = [o for opts in options for o in opts]
    scores = completion_logprobs(model, tokenizer, flat_prompts, flat_options).tolist()
    picks, i = [], 0
    for opts in options:
        chunk = scores[i : i + len(opts)]
        picks.append(max(range(len(opts)), key=chunk.__getitem__))
        i += len(opts)
    return picks


def parse_label(text: str, labels: Sequence[str]) -> str | None:
    """The label a generated text starts with (the longest match wins), or None."""
    cleaned = text.strip().lower()
    for label in sorted(labels, key=len, reverse=True):
        if cleaned.startswith(label.lower()):
            return label
    return None
