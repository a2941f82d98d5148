"""The profiles: per-notebook parameter overrides, in one place.

The notebooks' ``parameters`` cells hold the real defaults (Hub models and datasets, for
Colab). Offline, the runner and the tests inject overrides with papermill. Only parameters
change: the code path is the same.

- ``tiny``: the embedded tiny models and the course's own data. A value "tiny:<kind>"
  stands for the folder of an embedded model and is resolved (built on first use) by
  :func:`tiny_parameters`.
- ``rehearsal``: the Colab defaults kept (the same Hub ids for models and datasets, served
  offline by ``course_utils.rehearsal``); only step, example and length counts are cut, so
  every notebook runs at the real architectures' shapes in a minute or two on a CPU.
"""

from __future__ import annotations

from typing import Any

from course_utils.tiny import tiny_model_path

TINY_PROFILE: dict[str, dict[str, Any]] = {
    "00_environment_check": {
        "MODEL_NAME": "tiny:bloom",
    },
    "01_prompt_tuning": {
        "MODEL_NAME": "tiny:bloom",
        "DATASET_A": "act_as",
        "DATASET_B": "quotes",
        "CLASSIFICATION_DATASET": "complaints",
        "GENERATION_STEPS": 60,
        "CLASSIFY_STEPS": 60,
        "N_VAL": 64,
        "LEARNING_RATE": 0.3,
        "BATCH_SIZE": 16,
    },
    "02_lora_bloom": {
        "MODEL_NAME": "tiny:bloom",
        "DATASET": "act_as",
        "SECOND_DATASET": "quotes",
        "MAX_STEPS": 78,
        "SECOND_STEPS": 60,
        "LEARNING_RATE": 3e-3,
        "BATCH_SIZE": 16,
        "SWEEP_RANKS": [1, 4, 16],
        "SWEEP_STEPS": 20,
        "SWEEP_EVAL_EXAMPLES": 48,
    },
    "03_qlora_bloom_7b": {
        "MODEL_NAME": "tiny:bloom",
        "DATASET": "act_as",
        "MAX_STEPS": 96,
        "LEARNING_RATE": 3e-3,
        "BATCH_SIZE": 16,
    },
    "04_evaluation": {
        "MODEL_NAME": "tiny:t5",
        "DATASET": "dialogsum",
        "ENCODER_NAME": "tiny:minilm",
        "MC_MODEL_NAME": "tiny:bloom",
        "MC_DATASET": "multiple_choice",
        "MAX_STEPS": 40,
        "FULL_LEARNING_RATE": 2e-3,
        "LORA_LEARNING_RATE": 6e-3,
        "BATCH_SIZE": 16,
    },
    "05_classification": {
        "MODEL_NAME": "tiny:minilm",
        "DATASET": "complaints",
        "LABEL_DESCRIPTIONS": {
            "complaint": "I am angry: something went wrong and nobody helps me.",
            "no complaint": "Thank you, everything works well and I am happy.",
        },
        "N_TRAIN": 48,  # few examples: with 200, every fine-tune reached 100% and nothing separated them
        "N_TEST": 300,
        "MAX_LENGTH": 48,
        "EPOCHS": 5,
        "BATCH_SIZE": 16,
        "HEAD_LEARNING_RATE": 3e-2,
        "FULL_LEARNING_RATE": 1e-4,
        "LORA_LEARNING_RATE": 5e-3,
        "LORA_TARGET_MODULES": ["query", "value"],
    },
    "06_instruction_tuning": {
        "MODEL_NAME": "tiny:bloom",
        "INSTRUCTIONS_DATASET": "instructions",
        "TASK_A_DATASET": "complaints",
        "GENERAL_DATASET": "multiple_choice",
        "N_TRAIN": 600,
        "N_VAL": 64,
        "N_TEST": 120,
        "N_GENERAL": 101,
        "SHOTS": [0, 2, 4],
        "PACKING_LENGTH": 1024,
        "INSTRUCT_STEPS": 100,
        "INSTRUCT_LEARNING_RATE": 1e-3,
        "EVAL_STEPS": 10,
        "TASK_A_STEPS": 40,
        "FULL_LEARNING_RATE": 3e-3,
        "LORA_LEARNING_RATE": 6e-3,  # at 3e-3, 40 LoRA steps barely learned task A
        "LORA_TARGET_MODULES": ["query_key_value"],
        "BATCH_SIZE": 16,
        "MAX_LENGTH": 96,
        "MAX_NEW_TOKENS": 8,
    },
    "07_scaling_out": {
        "MODEL_NAME": "tiny:bloom",
        "DATASET": "act_as",
        "BATCH_SIZE": 4,
        "MAX_STEPS": 6,
        "LEARNING_RATE": 3e-3,
    },
    "08_peft_methods": {
        "MODEL_NAME": "tiny:bloom",
        "DATASET": "act_as",
        # A 1 M-parameter model must learn in 24 steps, at rates far above the real defaults. Each is
        # the best on validation of four tried (x1/10, x1/3, x1, x3): scripts/tune_08_rates.py.
        "LEARNING_RATES": {
            "full": 1e-3,
            "last_layers": 1e-2 / 3,
            "bitfit": 9e-2,
            "lora": 3e-2,
            "dora": 1e-2,
            "ia3": 0.3,
            "adapter": 1e-2,
            "prefix": 0.3,
            "prompt": 0.1,
        },
        "MAX_STEPS": 24,
        "BATCH_SIZE": 16,
        "MAX_LENGTH": 48,
        "LAST_LAYERS": 1,
    },
}


# Seconds each notebook takes alone on the tiny profile (2 CPU cores, 2026-12-03/04; README's
# timing table). Only their order matters: running several notebooks at a time, the runner
# starts the longest first, so that no long one is left to run alone at the end.
TINY_SECONDS: dict[str, float] = {
    "00_environment_check": 10,
    "01_prompt_tuning": 45,
    "02_lora_bloom": 55,
    "03_qlora_bloom_7b": 60,  # two QLoRA runs since issue 16 (the lean one in float32 without fast bfloat16)
    "04_evaluation": 39,
    "05_classification": 36,
    "06_instruction_tuning": 63,
    "07_scaling_out": 43,
    "08_peft_methods": 52,
}


# Colab defaults, with only the counts cut: steps, examples, batch sizes, sequence lengths.
REHEARSAL_PROFILE: dict[str, dict[str, Any]] = {
    "00_environment_check": {},
    "01_prompt_tuning": {
        "GENERATION_STEPS": 2,
        "CLASSIFY_STEPS": 2,
        "BATCH_SIZE": 2,
        "MAX_LENGTH": 48,
        "FEW_SHOT_K": 2,
        "N_TEST": 16,
        "N_TOPICS": 3,
        "N_VAL": 8,
    },
    "02_lora_bloom": {
        "MAX_STEPS": 2,
        "SECOND_STEPS": 2,
        "BATCH_SIZE": 2,
        "MAX_LENGTH": 48,
        "SWEEP_RANKS": [1, 2],
        "SWEEP_STEPS": 1,
        "SWEEP_EVAL_EXAMPLES": 4,
        "N_PROMPTS": 2,
    },
    "03_qlora_bloom_7b": {
        "MAX_STEPS": 2,
        "BATCH_SIZE": 1,
        "MAX_LENGTH": 32,
        "N_VAL": 4,
        "N_PROMPTS": 1,
    },
    "04_evaluation": {
        "MAX_STEPS": 2,
        "BATCH_SIZE": 2,
        "MAX_SOURCE_LENGTH": 64,
        "MAX_NEW_TOKENS": 8,
        "N_TEST": 4,
        "N_MC": 8,
    },
    "05_classification": {
        "N_TRAIN": 16,
        "N_VAL": 16,
        "N_TEST": 16,
        "MAX_LENGTH": 32,
        "EPOCHS": 1,
        "BATCH_SIZE": 8,
    },
    "06_instruction_tuning": {
        "N_TRAIN": 16,
        "N_VAL": 8,
        "N_TEST": 8,
        "N_GENERAL": 8,
        "SHOTS": [0, 2],
        "INSTRUCT_STEPS": 2,
        "EVAL_STEPS": 1,
        "TASK_A_STEPS": 2,
        "BATCH_SIZE": 2,
        "MAX_LENGTH": 160,
        "MAX_NEW_TOKENS": 4,
    },
    "07_scaling_out": {
        "MAX_STEPS": 2,
        "SHARD_STEPS": 1,
        "BATCH_SIZE": 1,
        "MAX_LENGTH": 32,
    },
    "08_peft_methods": {
        # One method per code path at the real shape: selective (saved with safetensors), LoRA (peft,
        # merged), IA3, prefix and prompt tuning (peft's prompt-learning paths). Full fine-tuning of
        # bloomz-560m alone holds about 11 GB on a CPU before checkpoint buffers; DoRA, the adapter
        # and the last layers take the same paths as LoRA and BitFit. Eight methods took 13 minutes and
        # peaked at 21 GiB here (with another job running): too close to this 24 GiB machine.
        "METHODS": ["bitfit", "lora", "ia3", "prefix", "prompt"],
        "MAX_STEPS": 1,
        "BATCH_SIZE": 1,
        "MAX_LENGTH": 32,
        "N_VAL": 4,
        "LATENCY_REPEATS": 1,
    },
}
PROFILES = ("tiny", "rehearsal")


def tiny_parameters(notebook: str) -> dict[str, Any]:
    """The overrides for one notebook (by file stem), with "tiny:<kind>" turned into paths."""
    if notebook not in TINY_PROFILE:
        raise KeyError(f"No tiny profile for notebook {notebook!r}; add it to course_utils/profiles.py.")
    resolved = {}
    for key, value in TINY_PROFILE[notebook].items():
        if isinstance(value, str) and value.startswith("tiny:"):
            value = str(tiny_model_path(value.removeprefix("tiny:")))
        resolved[key] = value
    return resolved


def rehearsal_parameters(notebook: str) -> dict[str, Any]:
    """The rehearsal's overrides for one notebook: counts only, the Hub ids stay."""
    if notebook not in REHEARSAL_PROFILE:
        raise KeyError(f"No rehearsal profile for notebook {notebook!r}; add it to course_utils/profiles.py.")
    return dict(REHEARSAL_PROFILE[notebook])


def profile_parameters(notebook: str, profile: str = "tiny") -> dict[str, Any]:
    """The overrides of ``profile`` ("tiny" or "rehearsal") for one notebook."""
    if profile == "tiny":
        return tiny_parameters(notebook)
    if profile == "rehearsal":
        return rehearsal_parameters(notebook)
    raise ValueError(f"profile={profile!r}: use one of {PROFILES}.")
