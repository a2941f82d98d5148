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

# At most this many bytes of logits per forward pass while scoring (see ``scoring_bytes``).
LOGITS_BUDGET_BYTES = 2**30


def scoring_bytes(rows: int, seq_len: int, completion_tokens: int, vocab_size: int) -> int:
    """Bytes of logits that one scoring forward pass holds at its peak.

    The model returns a logit per vocabulary entry for every position of every row,
    counted here at 4 bytes (float32, the widest a model returns). Of those, only the
    ``completion_tokens`` positions that are scored are copied to float32 and turned into
    log-probabilities: 8 more bytes per value. Bloom's vocabulary has 250,880 entries, so
    each position costs about 1 MB.
    """
    return vocab_size * (4 * rows * seq_len + 8 * completion_tokens)


def plan_batches(
    seq_lens: Sequence[int],
    completion_lens: Sequence[int],
    vocab_size: int,
    *,
    max_rows: int = 32,
    budget_bytes: int = LOGITS_BUDGET_BYTES,
) -> list[tuple[int, int]]:
    """Cut items, in order, into ``(start, stop)`` batches whose logits stay within a budget.

    A batch grows while it has fewer than ``max_rows`` rows and ``scoring_bytes`` of its
    padded length (the longest row) stays within ``budget_bytes``. A row that alone is over
    the budget gets a batch of its own: one row is the least a forward pass can take.
    """
    batches, start, n = [], 0, len(seq_lens)
    while start < n:
        stop, longest, scored = start + 1, seq_lens[start], completion_lens[start]
        while stop < n and stop - start < max_rows:
            grown_longest, grown_scored = max(longest, seq_lens[stop]), scored + completion_lens[stop]
            if scoring_bytes(stop - start + 1, grown_longest, grown_scored, vocab_size) > budget_bytes:
                break
            longest, scored, stop = grown_longest, grown_scored, stop + 1
        batches.append((start, stop))
        start = stop
    return batches


def _virtual_tokens(model) -> int:
    # Prompt tuning prepends virtual tokens, and their positions come back in the logits.
    config = getattr(model, "active_peft_config", None)
    return config.num_virtual_tokens if config is not None and config.is_prompt_learning else 0


@torch.no_grad()
def completion_logprobs(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    completions: Sequence[str],
    *,
    batch_size: int = 32,
    max_logits_bytes: int = LOGITS_BUDGET_BYTES,
) -> torch.Tensor:
    """Sum of the log-probabilities of each completion's tokens, given its prompt.

    Causal LMs read ``prompt + completion``; only the completion's tokens are scored (so a
    leading space belongs in the completion). Seq2seq models read the prompt and score the
    completion as the target. Works through peft wrappers, including prompt tuning (whose
    virtual tokens are prepended to the logits and skipped here).

    Memory: a forward pass returns a vocabulary-sized row of logits per position, so rows
    are batched (at most ``batch_size``) only while ``scoring_bytes`` stays within
    ``max_logits_bytes``, and the log-softmax is taken on the completion positions alone.
    """
    if len(prompts) != len(completions):
        raise ValueError(f"{len(prompts)} prompts but {len(completions)} completions.")
    model.eval()
    prompts, completions = list(prompts), list(completions)
    prompt_ids = tokenizer(prompts)["input_ids"]
    if model.config.is_encoder_decoder:
        seq_lens = completion_lens = [len(ids) for ids in tokenizer(completions)["input_ids"]]
    else:
        full_ids = tokenizer([p + c for p, c in zip(prompts, completions, strict=True)])["input_ids"]
        seq_lens = [len(ids) + _virtual_tokens(model) for ids in full_ids]
        completion_lens = [max(0, len(f) - len(p)) for f, p in zip(full_ids, prompt_ids, strict=True)]
    vocab_size = getattr(model.config, "vocab_size", None) or len(tokenizer)
    batches = plan_batches(seq_lens, completion_lens, vocab_size, max_rows=batch_size, budget_bytes=max_logits_bytes)
    with padding_side(tokenizer, "right"):
        scores = [_score_batch(model, tokenizer, prompts[a:b], completions[a:b], prompt_ids[a:b]) for a, b in batches]
    return torch.cat(scores)


def _score_batch(model, tokenizer, prompts: list[str], completions: list[str], prompt_ids) -> torch.Tensor:
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
        for row, ids in enumerate(prompt_ids):
            labels[row, : len(ids)] = -100
        logits = model(**batch).logits[:, -labels.shape[1] :]  # drop prompt-tuning's virtual tokens
        logits, targets = logits[:, :-1], labels[:, 1:]  # position t predicts token t + 1
    mask = targets != -100
    # Only the scored positions: a float32 log-softmax over every position would need
    # rows x length x vocabulary x 4 bytes (gigabytes with Bloom's 250,880 tokens).
    scored = torch.log_softmax(logits[mask].float(), dim=-1)
    picked = torch.zeros(targets.shape, dtype=scored.dtype, device=scored.device)
    picked[mask] = scored.gather(-1, targets[mask].unsqueeze(-1)).squeeze(-1)
    return picked.sum(dim=1).cpu()


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
