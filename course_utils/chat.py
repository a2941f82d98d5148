"""Chat templates: the exact text a chat model is trained on, and the prompts that match it.

A chat model is trained on text laid out by its *chat template*: role markers around each
message. Inference must use the very same layout, so the prompt is always built with
``tokenizer.apply_chat_template`` and never by hand. The embedded tiny Bloom gets the
ChatML layout below when it is built (SmolLM2 and many other models use it too).
Notebook 06 writes its ``SFTConfig`` and ``SFTTrainer`` itself; only the plumbing is here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # no transformers import at run time: course_utils.tiny imports the template
    from transformers import PreTrainedTokenizerBase

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
