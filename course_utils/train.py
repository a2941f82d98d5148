"""Train and generate the same way in every notebook, on top of the HF Trainer.

Only the plumbing lives here (tokenizing, collating, reading the loss history back,
greedy batched generation); the choices a lesson is about (which parameters train, the
learning rate, the number of steps) stay in the notebook.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import torch
from datasets import Dataset
from transformers import (
    DataCollatorForLanguageModeling,
    DataCollatorForSeq2Seq,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    PrinterCallback,
    Trainer,
    TrainingArguments,
)


@contextmanager
def padding_side(tokenizer: PreTrainedTokenizerBase, side: str) -> Iterator[PreTrainedTokenizerBase]:
    """Pad on ``side`` ("left" or "right") inside the block, then restore the tokenizer's own side."""
    previous, tokenizer.padding_side = tokenizer.padding_side, side
    try:
        yield tokenizer
    finally:
        tokenizer.padding_side = previous


@dataclass
class TrainResult:
    """What a training run leaves behind.

    Attributes:
        steps: the optimizer steps at which a loss was logged.
        losses: the logged training losses (each the mean since the previous log).
        seconds: wall-clock training time.
    """

    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @classmethod
    def from_trainer(cls, trainer: Trainer, seconds: float) -> TrainResult:
        """The losses a (HF or trl) trainer logged, and the training time."""
        logged = [entry for entry in trainer.state.log_history if "loss" in entry]
        return cls([e["step"] for e in logged], [float(e["loss"]) for e in logged], seconds)

    @property
    def loss_first(self) -> float:
        """The first logged loss."""
        return self.losses[0]

    @property
    def loss_last(self) -> float:
        """Mean of the last five logged losses (one log is noisy)."""
        tail = self.losses[-5:]
        return sum(tail) / len(tail)


def causal_lm_dataset(
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    max_length: int,
    prompts: Sequence[str] | None = None,
) -> Dataset:
    """Tokenized texts, each ending with the end-of-sequence token so the model learns to stop.

    With ``prompts`` (each text must start with its prompt) the prompt tokens get the label
    -100: the loss is then computed on the completion only.
    """
    if not texts:
        raise ValueError("No training texts: the dataset (or the selected split) is empty.")
    eos = tokenizer.eos_token or ""
    enc = dict(tokenizer([t + eos for t in texts], truncation=True, max_length=max_length))
    if prompts is not None:
        if len(prompts) != len(texts) or any(not t.startswith(p) for t, p in zip(texts, prompts, strict=True)):
            raise ValueError("Each text must start with its prompt (same number of prompts and texts).")
        prompt_lens = [len(ids) for ids in tokenizer(list(prompts))["input_ids"]]
        enc["labels"] = [[-100] * n + ids[n:] for ids, n in zip(enc["input_ids"], prompt_lens, strict=True)]
    return Dataset.from_dict(enc)


def seq2seq_dataset(
    tokenizer: PreTrainedTokenizerBase, sources: Sequence[str], targets: Sequence[str], max_length: int
) -> Dataset:
    """Tokenized source texts with their target texts as ``labels`` (encoder-decoder models)."""
    if not sources or len(sources) != len(targets):
        raise ValueError(f"Need as many targets as sources, and at least one ({len(sources)} vs {len(targets)}).")
    enc = dict(tokenizer(list(sources), truncation=True, max_length=max_length))
    enc["labels"] = tokenizer(list(targets), truncation=True, max_length=max_length)["input_ids"]
    return Dataset.from_dict(enc)


def course_training_args(
    output_dir: str | Path,
    max_steps: int,
    learning_rate: float,
    batch_size: int,
    seed: int,
    logging_steps: int | None = None,
) -> dict:
    """The settings every course run shares, for HF ``TrainingArguments`` and trl's ``SFTConfig`` alike.

    No checkpoints, no reporting services, the same seed for initialisation and data order, the
    CPU when there is no GPU, and a loss logged about 50 times (unless ``logging_steps`` says).
    """
    return {
        "output_dir": str(output_dir),
        "max_steps": max_steps,
        "learning_rate": learning_rate,
        "per_device_train_batch_size": batch_size,
        "logging_steps": logging_steps or max(1, max_steps // 50),
        "save_strategy": "no",
        "report_to": "none",
        "seed": seed,
        "data_seed": seed,
        "use_cpu": not torch.cuda.is_available(),
        "disable_tqdm": True,
    }


def train_and_record(trainer: Trainer) -> TrainResult:
    """Train, leave the model in eval mode, and read the logged losses back.

    The loss printout is switched off: the notebooks plot the losses instead.
    """
    trainer.remove_callback(PrinterCallback)
    start = time.perf_counter()
    trainer.train()
    trainer.model.eval()
    return TrainResult.from_trainer(trainer, time.perf_counter() - start)


def run_trainer(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    dataset: Dataset,
    collator,
    *,
    output_dir: str | Path,
    max_steps: int,
    learning_rate: float,
    batch_size: int = 8,
    seed: int = 0,
    logging_steps: int | None = None,
    **training_args,
) -> TrainResult:
    """Run the HF Trainer for ``max_steps`` and read the logged losses back.

    Args:
        model: the model to train; only parameters with ``requires_grad`` change.
        tokenizer: its tokenizer (needs a pad token).
        dataset: tokenized examples (see ``causal_lm_dataset``, ``seq2seq_dataset``).
        collator: pads a list of examples into a batch.
        output_dir: where the Trainer may write (no checkpoints are saved).
        max_steps: optimizer steps.
        learning_rate: peak learning rate (linear decay).
        batch_size: examples per step.
        seed: the Trainer's seed (data order, dropout).
        logging_steps: log the loss every this many steps (default: about 50 points).
        **training_args: more ``TrainingArguments`` (e.g. ``gradient_checkpointing=True``).
    """
    args = TrainingArguments(
        **course_training_args(output_dir, max_steps, learning_rate, batch_size, seed, logging_steps), **training_args
    )
    trainer = Trainer(model=model, args=args, train_dataset=dataset, data_collator=collator, processing_class=tokenizer)
    # Pad on the right while training: left padding (right for generation) leaves whole rows of
    # the attention masked, and on small models that made LoRA training diverge.
    with padding_side(tokenizer, "right"):
        return train_and_record(trainer)


def train_causal_lm(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    *,
    max_length: int = 128,
    prompts: Sequence[str] | None = None,
    **kwargs,
) -> TrainResult:
    """Train a causal LM (plain or peft) on ``texts``; arguments as :func:`run_trainer`.

    Args:
        texts: the training texts, already formatted.
        max_length: longer texts are truncated.
        prompts: the prompt part of each text; when given, the loss is on the completion
            only (for example the label of a classification), else on every token.
    """
    collator = (
        DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100)
        if prompts is not None
        else DataCollatorForLanguageModeling(tokenizer, mlm=False)
    )
    return run_trainer(model, tokenizer, causal_lm_dataset(tokenizer, texts, max_length, prompts), collator, **kwargs)


def train_seq2seq(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    sources: Sequence[str],
    targets: Sequence[str],
    *,
    max_length: int = 256,
    **kwargs,
) -> TrainResult:
    """Train an encoder-decoder model (plain or peft) to map sources to targets; see :func:`run_trainer`."""
    collator = DataCollatorForSeq2Seq(tokenizer, model=model, label_pad_token_id=-100)
    return run_trainer(model, tokenizer, seq2seq_dataset(tokenizer, sources, targets, max_length), collator, **kwargs)


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
