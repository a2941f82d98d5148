"""Chat templates and supervised fine-tuning (SFT) with trl, the same way for every model.

A chat model is trained on text laid out by its *chat template*: role markers around each
message. Inference must use the very same layout, so the prompt is always built with
``tokenizer.apply_chat_template`` and never by hand. The embedded tiny Bloom gets the
ChatML layout below when it is built (SmolLM2 and many other models use it too).
"""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the trainer stack loads only when run_sft runs: course_utils.tiny imports the template
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from course_utils.train import TrainResult

# ChatML: <|im_start|>role\ncontent<|im_end|>\n for every message; a generation prompt opens
# the assistant's turn.
CHATML_TEMPLATE = (
    "{%- for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
)


def chat_example(prompt: str, completion: str) -> dict[str, list[dict[str, str]]]:
    """One prompt-completion example in trl's conversational format (user asks, assistant answers)."""
    return {
        "prompt": [{"role": "user", "content": prompt}],
        "completion": [{"role": "assistant", "content": completion}],
    }


def chat_prompt(tokenizer: PreTrainedTokenizerBase, user_text: str) -> str:
    """The text a chat model is given to answer ``user_text``: its template, with the assistant's turn opened."""
    if not tokenizer.chat_template:
        raise ValueError(
            f"{type(tokenizer).__name__} has no chat template; set one, for example "
            "tokenizer.chat_template = course_utils.chat.CHATML_TEMPLATE."
        )
    messages = [{"role": "user", "content": user_text}]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def first_answer(generated: str) -> str:
    """The answer in a generated text: up to an end-of-turn marker or the end of the first line."""
    return re.split(r"<|\n", generated, maxsplit=1)[0].strip()


def run_sft(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    dataset,
    *,
    output_dir: str,
    max_steps: int,
    learning_rate: float,
    batch_size: int = 16,
    max_length: int = 512,
    packing: bool = False,
    peft_config: Any = None,
    seed: int = 0,
    **sft_args: Any,
) -> tuple[PreTrainedModel, TrainResult]:
    """Supervised fine-tuning with trl's ``SFTTrainer``; returns the trained model and its losses.

    Args:
        model: the model to train (all its weights, unless ``peft_config`` is given).
        tokenizer: its tokenizer, with a chat template for conversational data.
        dataset: a ``datasets.Dataset`` of prompt-completion examples (see :func:`chat_example`):
            the loss is then computed on the completion only.
        output_dir: where the trainer may write (no checkpoints are kept).
        max_steps: optimizer steps.
        learning_rate: peak learning rate (linear decay).
        batch_size: examples per step.
        max_length: longer tokenized examples are truncated; with ``packing`` the block length.
        packing: concatenate examples into blocks of ``max_length`` tokens (less padding).
        peft_config: e.g. a ``LoraConfig``: trl wraps the model and trains only the adapter.
        seed: data order and initialisation of new weights.
        **sft_args: more ``SFTConfig`` fields.

    Returns:
        ``(trained model in eval mode, TrainResult)``; with ``peft_config`` the model is the
        ``PeftModel`` trl built.
    """
    from trl import SFTConfig, SFTTrainer

    from course_utils.train import course_training_args, train_and_record

    with warnings.catch_warnings():  # trl's own default uses a name transformers 5 calls deprecated
        warnings.filterwarnings("ignore", message="`gradient_checkpointing` is deprecated", category=FutureWarning)
        config = SFTConfig(
            **course_training_args(output_dir, max_steps, learning_rate, batch_size, seed),
            max_length=max_length,
            packing=packing,
            bf16=False,  # fp32: the T4 has no bf16, and small models train fine in fp32
            fp16=False,
            gradient_checkpointing=False,  # trl turns it on by default; small models do not need it
            **sft_args,
        )
    trainer = SFTTrainer(
        model=model, args=config, train_dataset=dataset, processing_class=tokenizer, peft_config=peft_config
    )
    if len(trainer.train_dataset) == 0:  # trl drops examples whose completion was cut off entirely
        raise ValueError(
            f"No example left to train on: every completion starts beyond max_length={max_length} tokens; "
            "raise max_length."
        )
    return trainer.model, train_and_record(trainer)
