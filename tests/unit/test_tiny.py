"""The embedded models: deterministic, cached, real module names, really pretrained."""

import json
import time

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModel, AutoTokenizer

from course_utils.tiny import DEFAULT_SPECS, TinySpec, tiny_model_path


@pytest.mark.parametrize("kind", ["bloom", "t5"])
def test_two_builds_are_bit_identical(tmp_path, monkeypatch, kind):
    spec = TinySpec(kind, layers=1, steps=5, batch_size=4, seq_len=32)
    weights = []
    for run in ("a", "b"):
        monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / run))
        weights.append(load_file(tiny_model_path(kind, spec, verbose=False) / "model.safetensors"))
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def test_second_call_is_instant_and_a_changed_spec_is_a_new_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    spec = TinySpec("bloom", layers=1, steps=2, batch_size=2, seq_len=16)
    first = tiny_model_path("bloom", spec, verbose=False)
    start = time.perf_counter()
    assert tiny_model_path("bloom", spec, verbose=False) == first
    assert time.perf_counter() - start < 1.0
    other = tiny_model_path("bloom", TinySpec("bloom", layers=1, steps=3, batch_size=2, seq_len=16), verbose=False)
    assert other != first


def test_bad_specs_name_the_problem():
    with pytest.raises(ValueError, match="kind='gpt'"):
        TinySpec("gpt")
    with pytest.raises(ValueError, match="hidden=130 is not divisible by heads=4"):
        TinySpec("bloom", hidden=130)
    with pytest.raises(ValueError, match="kind='llama'"):
        tiny_model_path("llama")


def test_tiny_bloom_has_bloomz_module_names_and_learned_the_corpus():
    path = tiny_model_path("bloom")
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["spec"]["steps"] == DEFAULT_SPECS["bloom"].steps
    assert manifest["loss_last"] < manifest["loss_first"] / 4  # it learned, far beyond chance
    model = AutoModel.from_pretrained(path)
    names = {n.split(".")[-1] for n, _ in model.named_modules()}
    assert {"query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h", "word_embeddings"} <= names
    assert type(model).__name__ == "BloomModel" and 0.5e6 < manifest["params"] < 2e6


def test_tiny_t5_has_flan_t5_module_names_and_learned_the_corpus():
    path = tiny_model_path("t5")
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["loss_last"] < manifest["loss_first"] / 4
    names = {n.split(".")[-1] for n, _ in AutoModel.from_pretrained(path).named_modules()}
    assert {"q", "k", "v", "o", "wi_0", "wi_1", "wo"} <= names  # gated-GELU feed-forward like flan-t5
    tok = AutoTokenizer.from_pretrained(path)
    assert tok("hello")["input_ids"][-1] == tok.eos_token_id  # T5 ends inputs with </s>


def test_minilm_is_the_real_pretrained_encoder():
    path = tiny_model_path("minilm")
    model, tok = AutoModel.from_pretrained(path), AutoTokenizer.from_pretrained(path)
    assert model.config.hidden_size == 384 and model.config.num_hidden_layers == 6

    def embed(text):
        with torch.no_grad():
            out = model(**tok(text, return_tensors="pt")).last_hidden_state.mean(1)[0]
        return torch.nn.functional.normalize(out, dim=0)

    same = embed("The weather is freezing today") @ embed("It is very cold outside")
    different = embed("The weather is freezing today") @ embed("I bought a new phone case")
    assert same > different + 0.2  # a pretrained encoder knows that cold ~ freezing
