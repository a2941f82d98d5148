"""Solutions to notebook 02's exercises, and wrong answers their checks must reject."""

SOLUTIONS = {
    "answer_two_modules": (
        "two_modules = LoraConfig(r=LORA_R, target_modules=['query_key_value', 'dense'], task_type=TaskType.CAUSAL_LM)"
        "\n"
        "answer_two_modules = count_params(base.config, two_modules)[0]\n"
        "print(f'{answer_two_modules:,} trainable; by hand: {layers * LORA_R * (4 * hidden + 2 * hidden):,}')"
    ),
    "answer_rslora_output": "answer_rslora_output = x @ W.T + b + (alpha / math.sqrt(r)) * (x @ A_.T @ B_.T)",
    "answer_dense_val_loss": (
        "answer_dense_val_loss, dense_trainable = lora_validation_loss(suggested_r, target_modules=['dense'])\n"
        "qkv_loss = next(s['val_loss'] for s in rank_sweep if s['r'] == suggested_r)\n"
        "print(f'r={suggested_r}: dense {answer_dense_val_loss:.3f} ({dense_trainable:,} trainable), '\n"
        "      f'query_key_value {qkv_loss:.3f}')"
    ),
}
WRONG = {  # each list: at least one lazy answer (1, 0, True or False) and one plausible mistake
    "answer_two_modules": [
        "answer_two_modules = 0",
        "answer_two_modules = trainable",  # query_key_value alone: dense forgotten
        "answer_two_modules = layers * LORA_R * (4 * hidden + hidden)",  # dense counted as one side only
    ],
    "answer_rslora_output": [
        "answer_rslora_output = 0",
        "answer_rslora_output = by_peft",  # the standard alpha / r scale
        "answer_rslora_output = x @ W.T + b",  # the frozen layer without the adapter
    ],
    "answer_dense_val_loss": [
        "answer_dense_val_loss = 1",
        "answer_dense_val_loss = next(s['val_loss'] for s in rank_sweep if s['r'] == suggested_r)",  # qkv run
    ],
}
