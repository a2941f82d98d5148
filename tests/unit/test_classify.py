"""Classification helpers: pooling equals sentence-transformers, the head is found, fingerprints, predictions."""

import pytest
import torch
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    DistilBertConfig,
    DistilBertForSequenceClassification,
)

from course_utils.classify import head_module_names, mean_pooled, predict_classes, weights_sha256
from course_utils.models import load_model_and_tokenizer
from course_utils.tiny import tiny_model_path

SMALL = {"vocab_size": 100, "max_position_embeddings": 64}


@pytest.fixture(scope="module")
def minilm():
    return load_model_and_tokenizer(tiny_model_path("minilm"), task="encoder")


def test_mean_pooling_equals_sentence_transformers(minilm):
    from sentence_transformers import SentenceTransformer

    texts = ["It is cold outside.", "My parcel never arrived and nobody answers my emails, this is ridiculous."]
    library = SentenceTransformer(str(tiny_model_path("minilm")), device="cpu").encode(texts, convert_to_tensor=True)
    ours = mean_pooled(*minilm, texts)
    assert ours.shape == (2, 384)
    assert torch.allclose(ours, library.cpu(), atol=1e-5)


def test_mean_pooling_ignores_padding(minilm):
    alone = mean_pooled(*minilm, ["short"])
    padded = mean_pooled(*minilm, ["short", "a much longer sentence that forces padding of the short one"])
    assert torch.allclose(alone[0], padded[0], atol=1e-5)


def test_head_modules_per_architecture():
    bert = BertForSequenceClassification(
        BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, **SMALL)
    )
    distil = DistilBertForSequenceClassification(
        DistilBertConfig(dim=32, n_layers=2, n_heads=2, hidden_dim=64, **SMALL)
    )
    assert head_module_names(bert) == ["classifier"]  # BERT's pooler belongs to the body
    assert head_module_names(distil) == ["pre_classifier", "classifier"]
    with pytest.raises(ValueError, match="sequence_classification"):
        head_module_names(bert.bert)


def test_fingerprint_sees_a_one_ulp_change():
    layer = torch.nn.Linear(4, 4)
    before = weights_sha256(layer)
    with torch.no_grad():
        layer.weight[0, 0] = torch.nextafter(layer.weight[0, 0], torch.tensor(1.0))
    assert weights_sha256(layer) != before


def test_predictions_are_the_argmax_of_the_logits_in_any_batch_size():
    model, tokenizer = load_model_and_tokenizer(tiny_model_path("minilm"), task="sequence_classification", num_labels=2)
    texts = ["my order is late again", "thanks, quick and perfect", "where is my parcel?", "great job", "ok"]
    with torch.no_grad():
        batch = tokenizer(texts, return_tensors="pt", padding=True)
        expected = model(**batch).logits.argmax(-1).tolist()
    assert predict_classes(model, tokenizer, texts) == expected
    assert predict_classes(model, tokenizer, texts, batch_size=2) == expected
