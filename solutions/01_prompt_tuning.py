"""Solutions to notebook 01's exercises, and wrong answers their checks must reject."""

SOLUTIONS = {
    "answer_50_tokens": "answer_50_tokens = 50 * 1024",
    "answer_val_accuracy": (
        "answer_val_accuracy = {init: accuracy_by_likelihood(model, val_questions, val_rows)\n"
        "                       for init, model in classify_models.items()}\n"
        "print({init: round(accuracy, 3) for init, accuracy in answer_val_accuracy.items()},\n"
        '      "kept on validation loss:", kept)'
    ),
    "answer_five_tokens": (
        "five_tokens = get_peft_model(base, soft_prompt_config(init_text_classify, n=5))\n"
        "train_soft_prompt(five_tokens, classify_pairs['train'], classify_pairs['validation'],\n"
        "                  CLASSIFY_STEPS // 3, 'five')\n"
        "answer_five_tokens = (five_tokens, accuracy_by_likelihood(five_tokens, val_questions, val_rows))\n"
        'print(f"5 virtual tokens: validation accuracy {answer_five_tokens[1]:.3f}")'
    ),
}

WRONG = {  # each list: at least one lazy answer (1, 0, True or False) and one plausible mistake
    "answer_50_tokens": [
        "answer_50_tokens = 1",
        "answer_50_tokens = NUM_VIRTUAL_TOKENS * 1024",  # the notebook's 20 tokens
        "answer_50_tokens = 50 * 1024 + 559_214_592",  # the total, not the trainable part
    ],
    "answer_val_accuracy": [
        "answer_val_accuracy = 1",
        # the test accuracies instead of the validation ones
        "answer_val_accuracy = {init: result['likelihood_accuracy'] for init, result in classify.items()}",
    ],
    "answer_five_tokens": [
        "answer_five_tokens = 0",
        # the notebook's 20-token soft prompt
        "answer_five_tokens = (classify_models['text'], accuracy_by_likelihood(classify_models['text'], val_questions, "
        "val_rows))",
        # built but never trained
        "untrained = get_peft_model(base, soft_prompt_config(init_text_classify, n=5))\n"
        "answer_five_tokens = (untrained, accuracy_by_likelihood(untrained, val_questions, val_rows))",
        # built from random vectors and never trained: no longer on a word, but it learned nothing
        "untrained = get_peft_model(base, soft_prompt_config(None, n=5))\n"
        "answer_five_tokens = (untrained, accuracy_by_likelihood(untrained, val_questions, val_rows))",
    ],
}
