"""Solutions to notebook 06's exercises, and wrong answers their checks must reject."""

SOLUTIONS = {
    "answer_template_tokens": (
        "answer_template_tokens = len(tokenizer(chat_prompt(tokenizer, 'Hello'))['input_ids']) - len(\n"
        "    tokenizer('Hello')['input_ids'])"
    ),
    "answer_all_linear": (
        "from peft import get_peft_model\n"
        "\n"
        "every_linear = LoraConfig(r=LORA_R, lora_alpha=LORA_R, target_modules='all-linear',\n"
        "                          task_type=TaskType.CAUSAL_LM)\n"
        "lora_everywhere = get_peft_model(fresh_instruct_model(), every_linear)\n"
        "answer_all_linear = count_params(lora_everywhere)[0]\n"
        "del lora_everywhere"
    ),
    # The course's tiny model uses ChatML; SmolLM2's template adds a default system message first.
    "answer_two_turns": (
        "answer_two_turns = (\n"
        "    '<|im_start|>user\\nHi<|im_end|>\\n'\n"
        "    '<|im_start|>assistant\\nHello!<|im_end|>\\n'\n"
        "    '<|im_start|>user\\nTopic of: Music is the key to the morning.<|im_end|>\\n'\n"
        "    '<|im_start|>assistant\\n'\n"
        ")"
    ),
}
WRONG = {  # each list: at least one lazy answer (1, 0, True or False) and one plausible mistake
    "answer_template_tokens": [
        "answer_template_tokens = 0",
        "answer_template_tokens = len(chat_prompt(tokenizer, 'Hello')) - len('Hello')  # characters, not tokens",
    ],
    "answer_all_linear": [
        "answer_all_linear = 1",
        "answer_all_linear = forgetting['lora_single']['trainable_params']  # only LORA_TARGET_MODULES",
    ],
    "answer_two_turns": [
        "answer_two_turns = True",
        "answer_two_turns = (  # the assistant's turn is not opened\n"
        "    '<|im_start|>user\\nHi<|im_end|>\\n'\n"
        "    '<|im_start|>assistant\\nHello!<|im_end|>\\n'\n"
        "    '<|im_start|>user\\nTopic of: Music is the key to the morning.<|im_end|>\\n'\n"
        ")",
    ],
}
