"""Where the course keeps its data, real-model configs, caches and outputs."""

from __future__ import annotations

import os
from pathlib import Path

REAL_CONFIGS = {  # the real models' config.json files, kept in data/configs/<folder>
    "bigscience/bloomz-560m": "bloomz-560m",
    "bigscience/bloom-7b1": "bloom-7b1",
    "google/flan-t5-base": "flan-t5-base",
    "distilbert-base-uncased": "distilbert-base-uncased",
    "HuggingFaceTB/SmolLM2-135M-Instruct": "smollm2-135m-instruct",
    "sentence-transformers/all-MiniLM-L6-v2": "all-minilm-l6-v2",
}


def repo_root() -> Path:
    """The course checkout: the folder holding ``data/`` beside ``course_utils``.

    Looks next to this package first (editable install), then upwards from the working
    directory (a notebook run from ``notebooks/``, or Colab after ``cd`` into the clone).
    ``COURSE_ROOT`` overrides both.
    """
    if "COURSE_ROOT" in os.environ:
        return Path(os.environ["COURSE_ROOT"]).resolve()
    here = Path(__file__).resolve().parents[1]
    for candidate in [here, Path.cwd().resolve(), *Path.cwd().resolve().parents]:
        if (candidate / "data" / "configs").is_dir():
            return candidate
    raise FileNotFoundError(
        "Cannot find the course's data/ folder; run from inside the course checkout or set COURSE_ROOT."
    )


def data_dir() -> Path:
    """The folder with the course datasets (one sub-folder per dataset)."""
    return repo_root() / "data"


def real_config_path(model_id: str) -> Path:
    """The stored config.json folder of a real Hub model (no weights, no download).

    Args:
        model_id: a Hub id listed in ``REAL_CONFIGS``, e.g. ``"bigscience/bloom-7b1"``.
    """
    if model_id not in REAL_CONFIGS:
        raise ValueError(f"No stored config for {model_id!r}; known: {sorted(REAL_CONFIGS)}.")
    return data_dir() / "configs" / REAL_CONFIGS[model_id]


def cache_dir() -> Path:
    """Where built tiny models are cached (``COURSE_CACHE_DIR`` or ``<repo>/.cache``)."""
    path = Path(os.environ.get("COURSE_CACHE_DIR", repo_root() / ".cache"))
    path.mkdir(parents=True, exist_ok=True)
    return path
