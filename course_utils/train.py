"""Generation and logits the same way in every notebook: the plumbing around ``model.generate``.

The training itself (collators, ``TrainingArguments``, ``Trainer``, ``SFTTrainer``) is written
in the notebooks, where a learner can read and copy it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainingArguments
from transformers.trainer_utils import get_last_checkpoint

from course_utils.checks import CourseInputError

# Settings that do not change what a run learns: a checkpoint written under other values of
# these still resumes the same training.
RESUME_IGNORES = frozenset(
    {
        "output_dir",
        "logging_dir",
        "logging_steps",
        "logging_strategy",
        "logging_first_step",
        "disable_tqdm",
        "report_to",
        "eval_strategy",
        "eval_steps",
        "eval_on_start",
        "per_device_eval_batch_size",
        "save_strategy",
        "save_steps",
        "save_total_limit",
    }
)


def note_replaced(path: str | Path) -> None:
    """Say so, in one line, when ``path`` holds weights an earlier run saved, before a save replaces them.

    Call it just before ``save_pretrained(path)`` or ``torch.save(..., path)``: what a learner
    trained is never replaced without a word.
    """
    path = Path(path)
    if path.is_file():
        saved = [path]
    else:
        saved = [p for pattern in ("*.safetensors", "*.bin", "*/adapter_model.safetensors") for p in path.glob(pattern)]
    if saved:
        saved_at = time.strftime("%Y-%m-%d %H:%M", time.localtime(max(p.stat().st_mtime for p in saved)))
        print(f"replacing what an earlier run saved in {path} at {saved_at}")


def resume_point(args: TrainingArguments) -> str | None:
    """The newest checkpoint in ``args.output_dir`` to resume from, announced in one line; None if there is none.

    Pass it to ``trainer.train(resume_from_checkpoint=...)``: a rerun after a disconnect goes on
    from that step (weights, optimizer, scheduler, data position, random state) instead of
    starting over. A checkpoint written with other training settings (a changed learning rate,
    more steps) would silently stand in for the new run, so that raises, naming the settings
    and the two ways out.
    """
    folder = Path(args.output_dir)
    last = get_last_checkpoint(str(folder)) if folder.is_dir() else None
    if last is None:
        return None
    saved = torch.load(Path(last) / "training_args.bin", weights_only=False).to_dict()
    now = args.to_dict()
    changed = sorted(k for k in now.keys() - RESUME_IGNORES if saved.get(k) != now[k])
    if changed:
        shown = ", ".join(f"{k} {saved.get(k)!r} -> {now[k]!r}" for k in changed[:3])
        more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
        raise CourseInputError(
            f"{folder} holds checkpoints of a run with other settings ({shown}{more}): delete that folder to "
            "start this run over, or give it another output_dir."
        )
    state = json.loads((Path(last) / "trainer_state.json").read_text())
    print(f"resuming from {last} (step {state['global_step']} of {state['max_steps']})")
    return last


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
