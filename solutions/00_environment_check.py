"""Solutions to notebook 00's exercises, and wrong answers their checks must reject."""

SOLUTIONS = {
    "answer_fp16_bytes": "answer_fp16_bytes = 2 * total",
    "answer_linear_per_block": (
        "answer_linear_per_block = sum(isinstance(m, torch.nn.Linear) for m in model.transformer.h[0].modules())"
    ),
    "answer_8bit_footprint": """model_8bit = AutoModelForCausalLM.from_pretrained(
    MODEL_NAME,
    quantization_config=BitsAndBytesConfig(load_in_8bit=True),
    device_map="auto" if torch.cuda.is_available() else "cpu",
)
answer_8bit_footprint = model_footprint(model_8bit)
print(f"8-bit footprint: {answer_8bit_footprint / 2**20:.1f} MiB "
      f"(float32 {footprint_fp32 / 2**20:.1f}, 4-bit {four_bit['footprint_bytes'] / 2**20:.1f})")
del model_8bit""",
}
WRONG = {
    "answer_fp16_bytes": ["answer_fp16_bytes = 1", "answer_fp16_bytes = 4 * total"],
    "answer_linear_per_block": ["answer_linear_per_block = 0", "answer_linear_per_block = True"],
    "answer_8bit_footprint": ["answer_8bit_footprint = 1", "answer_8bit_footprint = footprint_fp32 // 4"],
}
