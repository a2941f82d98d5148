"""Solutions to notebook 04's exercises, and wrong answers their checks must reject."""

SOLUTIONS = {
    # "cold" and "outside" are in the reference once each, so each matches once (clipping):
    # 2 of the candidate's 5 words.
    "answer_precision": "answer_precision = 2 / 5",
    "answer_bp": "import math\n\nanswer_bp = math.exp(1 - 9 / 6)",
    "answer_ratio": (
        "every_projection = LoraConfig(r=LORA_R, lora_alpha=LORA_R, target_modules=['q', 'k', 'v', 'o'],\n"
        "                              task_type=TaskType.SEQ_2_SEQ_LM)\n"
        "base_again, _ = load_model_and_tokenizer(MODEL_NAME, task='seq2seq', dtype=torch.float32)\n"
        "lora_everywhere = get_peft_model(base_again, every_projection)\n"
        "answer_ratio = results['full']['trainable_params'] / count_params(lora_everywhere)[0]\n"
        "del base_again, lora_everywhere"
    ),
}
WRONG = {  # each list: at least one lazy answer (1, 0, True or False) and one plausible mistake
    "answer_precision": [
        "answer_precision = 0",
        "answer_precision = 5 / 5  # every repeat counted, no clipping",
        "answer_precision = 2 / 4  # the recall",
    ],
    "answer_bp": ["answer_bp = 1", "import math\n\nanswer_bp = math.exp(1 - 6 / 9)  # lengths swapped"],
    "answer_ratio": [
        "answer_ratio = 1",
        "answer_ratio = results['full']['trainable_params'] / results['lora']['trainable_params']  # q and v only",
    ],
}
