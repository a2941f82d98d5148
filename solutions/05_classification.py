"""Solutions to notebook 05's exercises, and wrong answers their checks must reject."""

SOLUTIONS = {
    # three classes: one weight per dimension of the pooled vector and one bias, for each class
    "answer_regression_params": "answer_regression_params = 3 * (train_vectors.shape[1] + 1)",
    "answer_first_class_f1": (
        "head_matrix = confusion_matrix(test_ids, predictions['head_only'], labels=list(range(len(label_names))))\n"
        "per_class = []\n"
        "for k in range(len(head_matrix)):\n"
        "    precision = head_matrix[k, k] / max(head_matrix[:, k].sum(), 1)  # a class never predicted: 0\n"
        "    recall = head_matrix[k, k] / max(head_matrix[k, :].sum(), 1)\n"
        "    per_class.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)\n"
        "answer_first_class_f1 = per_class[0]  # their mean is the table's macro F1"
    ),
    "answer_last_block_trainable": (
        "wider, _ = load_classifier()\n"
        "for param in wider.base_model.parameters():\n"
        "    param.requires_grad = False\n"
        "body_blocks = next(m for m in wider.base_model.modules() if isinstance(m, torch.nn.ModuleList))\n"
        "for param in body_blocks[-1].parameters():\n"
        "    param.requires_grad = True\n"
        "answer_last_block_trainable = count_params(wider)[0]\n"
        "fine_tune('last_block', wider, LORA_LEARNING_RATE)  # between the head's rate and the full model's\n"
        "del wider"
    ),
}
WRONG = {  # each list: at least one lazy answer (1, 0, True or False) and one plausible mistake
    "answer_regression_params": [
        "answer_regression_params = 1",
        "answer_regression_params = regression_params  # the two-class model of section 3",
        "answer_regression_params = 3 * train_vectors.shape[1]  # the biases forgotten",
    ],
    "answer_first_class_f1": [
        "answer_first_class_f1 = 1",
        "answer_first_class_f1 = results['head_only']['f1']  # the macro average, not the first class",
    ],
    "answer_last_block_trainable": [
        "answer_last_block_trainable = 1",
        "answer_last_block_trainable = results['head_only']['trainable_params']  # the block left frozen",
        "blocks = next(m for m in load_classifier()[0].base_model.modules() if isinstance(m, torch.nn.ModuleList))\n"
        "answer_last_block_trainable = results['head_only']['trainable_params'] + sum(\n"
        "    p.numel() for p in blocks[-1].parameters())  # the right count, but never trained",
    ],
}
