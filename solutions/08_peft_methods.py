"""Solutions to notebook 08's exercises, and wrong answers their checks must reject."""

SOLUTIONS = {
    "answer_prefix_20": (
        "prefix_20 = PrefixTuningConfig(num_virtual_tokens=20, task_type=TaskType.CAUSAL_LM)\n"
        "answer_prefix_20 = count_params(base.config, prefix_20)[0]\n"
        "print(f'{answer_prefix_20:,} trainable; by hand: {20 * layers * 2 * hidden:,}')"
    ),
    "answer_grads_and_optimizer": (
        "full_row = next(r for r in rows if r['method'] == 'full')\n"
        "answer_grads_and_optimizer = full_row['trainable'] * (4 + 4 + 4)  # gradient, AdamW's two moments\n"
        "measured = full_row['memory']['gradients'] + full_row['memory']['optimizer']\n"
        "print(f'computed {answer_grads_and_optimizer:,} bytes, measured {measured:,} '\n"
        "      f'(the rest: one step counter per parameter tensor)')"
    ),
    "answer_prompt_tenth_lr": (
        "_, _, tenth = train_method('prompt', learning_rate=LEARNING_RATES['prompt'] / 10)\n"
        "answer_prompt_tenth_lr = tenth['val_loss']\n"
        "print(f\"prompt tuning: lr {LEARNING_RATES['prompt']:g} -> {by['prompt']['val_loss']:.3f}, \"\n"
        "      f\"lr {LEARNING_RATES['prompt'] / 10:g} -> {answer_prompt_tenth_lr:.3f}\")"
    ),
}
WRONG = {  # each list: at least one lazy answer (1, 0, True or False) and one plausible mistake
    "answer_prefix_20": [
        "answer_prefix_20 = 0",
        "answer_prefix_20 = 20 * hidden",  # prompt tuning's count: one embedding per token, not per layer
        "answer_prefix_20 = 20 * layers * hidden",  # keys only, no values
    ],
    "answer_grads_and_optimizer": [
        "answer_grads_and_optimizer = 1",
        "answer_grads_and_optimizer = 16 * rows[0]['trainable']",  # the weights counted too
        "answer_grads_and_optimizer = 4 * rows[0]['trainable']",  # the gradients alone
    ],
    "answer_prompt_tenth_lr": [
        "answer_prompt_tenth_lr = 1",
        "answer_prompt_tenth_lr = by['prompt']['val_loss']",  # the notebook's own rate
    ],
}
