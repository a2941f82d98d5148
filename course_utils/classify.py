"""Text classification with an encoder: pooled features, the head's modules, fingerprints, prediction.

The four ways notebook 05 compares differ only in *which* parameters train. These helpers
hold the plumbing they share; freezing and training are written in the notebook.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase


def _tokenized_batches(
    tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], batch_size: int, max_length: int, device: torch.device
) -> Iterator[dict[str, torch.Tensor]]:
    """Padded, truncated batches of ``texts`` on ``device``."""
    for start in range(0, len(texts), batch_size):
        chunk = list(texts[start : start + batch_size])
        yield tokenizer(chunk, return_tensors="pt", padding=True, truncation=True, max_length=max_length).to(device)


@torch.no_grad()
def mean_pooled(
    encoder: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    *,
    batch_size: int = 64,
    max_length: int = 256,
    normalize: bool = True,
) -> torch.Tensor:
    """One vector per text: the encoder's token vectors averaged over the real (unpadded) tokens.

    Args:
        encoder: a model whose output has ``last_hidden_state`` (``AutoModel``).
        tokenizer: its tokenizer.
        texts: the texts to embed.
        batch_size: texts per forward pass.
        max_length: longer texts are truncated.
        normalize: scale each vector to length 1 (then a dot product is the cosine).

    Returns:
        A float32 CPU tensor of shape ``(len(texts), hidden_size)``.
    """
    encoder.eval()
    chunks = []
    for batch in _tokenized_batches(tokenizer, texts, batch_size, max_length, encoder.device):
        hidden = encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1)
        chunks.append(torch.nn.functional.normalize(pooled, dim=-1) if normalize else pooled)
    return torch.cat(chunks).float().cpu()


def head_module_names(model: PreTrainedModel) -> list[str]:
    """The modules a sequence-classification model adds on top of its pretrained body.

    DistilBERT: ``["pre_classifier", "classifier"]``; BERT and MiniLM: ``["classifier"]``
    (their pooler belongs to the body). Only modules that hold parameters are listed.
    """
    body = model.base_model_prefix
    if body not in dict(model.named_children()):
        raise ValueError(
            f"{type(model).__name__} has no {body!r} body with a head on top; load it with "
            'task="sequence_classification".'
        )
    names = [
        name for name, module in model.named_children() if name != body and next(module.parameters(), None) is not None
    ]
    if not names:
        raise ValueError(f"{type(model).__name__} has no module with parameters outside its body {body!r}.")
    return names


def weights_sha256(module: torch.nn.Module) -> str:
    """A fingerprint of every parameter's name, shape, dtype and exact bytes.

    Two modules have the same fingerprint only if their weights are bit-identical.
    """
    digest = hashlib.sha256()
    for name, param in sorted(module.named_parameters(), key=lambda item: item[0]):
        tensor = param.detach().cpu().contiguous()
        digest.update(f"{name}|{tuple(tensor.shape)}|{tensor.dtype}|".encode())
        digest.update(tensor.view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


@torch.no_grad()
def predict_classes(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    *,
    batch_size: int = 64,
    max_length: int = 256,
) -> list[int]:
    """The most likely class id for each text."""
    model.eval()
    predictions: list[int] = []
    for batch in _tokenized_batches(tokenizer, texts, batch_size, max_length, model.device):
        predictions += model(**batch).logits.argmax(-1).tolist()
    return predictions
