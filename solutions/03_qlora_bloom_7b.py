"""Solutions to notebook 03's exercises, and wrong answers their checks must reject."""

SOLUTIONS = {
    "answer_13b_nf4_gb": "answer_13b_nf4_gb = 13e9 * nf4_bytes_per_param(double_quant=True) / 1e9",
    "answer_int4_blocks16_error": (
        "answer_int4_blocks16_error = mean_abs_error(weights, absmax_quantize(weights, 4, 16))\n"
        'print(f"blocks of 16: {answer_int4_blocks16_error:.6f}, blocks of 64: '
        "{quantization_error['int4_blocks_of_64']:.6f}\")"
    ),
    "answer_scale_bytes_no_double_quant": (
        "no_double_quant = BitsAndBytesConfig(\n"
        '    load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=False,\n'
        "    bnb_4bit_compute_dtype=bnb_config.bnb_4bit_compute_dtype,\n"
        ")\n"
        "single = AutoModelForCausalLM.from_pretrained(MODEL_NAME, quantization_config=no_double_quant, "
        "device_map=device_map)\n"
        "answer_scale_bytes_no_double_quant = (single, scale_bytes(single))\n"
        "del single  # the answer holds the model until the cell after the check frees it\n"
        "no_double_quant_bytes = answer_scale_bytes_no_double_quant[1]\n"
        'print(f"scales: {no_double_quant_bytes / MB:.4f} MB without double quantization, '
        "{scales_double_quant / MB:.4f} MB with it; saved "
        '{8 * (no_double_quant_bytes - scales_double_quant) / quantized_weights:.3f} bits per weight")'
    ),
}
WRONG = {  # each list: a lazy answer and a plausible mistake
    "answer_13b_nf4_gb": [
        "answer_13b_nf4_gb = 1",
        "answer_13b_nf4_gb = 13e9 * 0.5 / 1e9",  # forgets the block scales
        "answer_13b_nf4_gb = 13e9 * nf4_bytes_per_param(double_quant=True) / 2**30",  # GiB, not GB
    ],
    "answer_int4_blocks16_error": [
        "answer_int4_blocks16_error = 0",
        'answer_int4_blocks16_error = quantization_error["int4_blocks_of_64"]',  # the blocks of 64
        "answer_int4_blocks16_error = mean_abs_error(weights, absmax_quantize(weights, 8, 16))",  # 8 bits
    ],
    "answer_scale_bytes_no_double_quant": [
        "answer_scale_bytes_no_double_quant = 0",
        # arithmetic, no model: one float32 scale per block of 64 weights
        "answer_scale_bytes_no_double_quant = quantized_weights // 64 * 4",
        # section 3's config, double quantization still on
        "answer_scale_bytes_no_double_quant = (AutoModelForCausalLM.from_pretrained(MODEL_NAME, "
        "quantization_config=bnb_config, device_map=device_map), scales_double_quant)",
    ],
}
