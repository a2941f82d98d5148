"""Solutions to notebook 07's exercises, and wrong answers their checks must reject."""

SOLUTIONS = {
    "answer_stage2_gb": (
        "psi = 13_000_000_000\n"
        "model_13b = dataclasses.replace(paper_model, trainable_params=psi, weights_unquantized_bytes=2 * psi,\n"
        "                                gradients_bytes=2 * psi, optimizer_bytes=12 * psi)\n"
        "answer_stage2_gb = model_states(per_device(model_13b, 8, 2)) / GB\n"
        'print(f"{answer_stage2_gb:.2f} GB per device")'
    ),
    "answer_lowest_stage": (
        "fits = [s for s in range(4) if device_peak('full, fp32', 4, s) <= 40]\n"
        "answer_lowest_stage = fits[0] if fits else None"
    ),
    "answer_accumulation_dir": (
        "answer_accumulation_dir = output_dir / 'accumulation'\n"
        "launch([sys.executable, SCRIPTS / 'train_lora.py', '--output-dir', answer_accumulation_dir,\n"
        "        '--batch-size', BATCH_SIZE, '--gradient-accumulation-steps', NUM_PROCESSES, *common])\n"
        "print(json.loads((answer_accumulation_dir / 'process-0.json').read_text())['losses'])"
    ),
}

WRONG = {  # each list: at least one lazy answer (1, 0, True or False) and one plausible mistake
    "answer_stage2_gb": [
        "answer_stage2_gb = 1",
        "answer_stage2_gb = 16 * 13e9 / 8 / GB",  # stage 3: the weights split too
        "answer_stage2_gb = (4 * 13e9 + 12 * 13e9 / 8) / GB",  # stage 1: the gradients left whole
    ],
    "answer_lowest_stage": [
        "answer_lowest_stage = True",
        "answer_lowest_stage = 0",  # plain data parallelism: every device holds everything
        "answer_lowest_stage = 2",  # the weights left whole: about 51 GB per device
    ],
    "answer_accumulation_dir": [
        "answer_accumulation_dir = 1",
        "answer_accumulation_dir = single_dir",  # batch 2B in one go: no accumulation
        "answer_accumulation_dir = ddp_dir",  # two processes, not one
        # micro-batches of B, but no accumulation: half the effective batch
        "answer_accumulation_dir = output_dir / 'no_accumulation'\n"
        "launch([sys.executable, SCRIPTS / 'train_lora.py', '--output-dir', answer_accumulation_dir,\n"
        "        '--batch-size', BATCH_SIZE, *common])",
    ],
}
