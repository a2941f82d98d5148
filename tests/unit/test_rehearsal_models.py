"""The rehearsal's stand-in models: real configs, Hub-cache layout, tokenizers of the right family."""

import json

import pytest
import torch
from transformers import AutoConfig, AutoModel, AutoTokenizer

from course_utils import rehearsal
from course_utils.params import count_params
from course_utils.paths import REAL_CONFIGS, real_config_path
from course_utils.tiny import read_corpus

# Facts from the model cards / published config.json files (see COURSE.md), counted on the meta device.
REAL_PARAMS = {
    "bigscience/bloomz-560m": 559_214_592,
    "HuggingFaceTB/SmolLM2-135M-Instruct": 134_515_008,
    "sentence-transformers/all-MiniLM-L6-v2": 22_713_216,
}


def test_every_rehearsal_model_has_a_stored_real_config():
    assert set(rehearsal.REHEARSAL_MODELS) <= set(REAL_CONFIGS)
    for hub_id, params in REAL_PARAMS.items():
        assert count_params(real_config_path(hub_id))[1] == params


def test_stored_configs_carry_the_real_shapes():
    smol = AutoConfig.from_pretrained(real_config_path("HuggingFaceTB/SmolLM2-135M-Instruct"))
    assert (smol.hidden_size, smol.num_hidden_layers, smol.num_key_value_heads, smol.vocab_size) == (576, 30, 3, 49152)
    assert smol.tie_word_embeddings and smol.rope_parameters["rope_theta"] == 100_000
    distil = AutoConfig.from_pretrained(real_config_path("distilbert-base-uncased"))
    assert (distil.dim, distil.n_layers, distil.n_heads, distil.vocab_size) == (768, 6, 12, 30522)
    distil.num_labels = 2
    with torch.device("meta"):
        from transformers import AutoModelForSequenceClassification

        head = AutoModelForSequenceClassification.from_config(distil)
    assert sum(p.numel() for p in head.parameters()) == 66_955_010


def test_chatml_tokenizer_lays_out_a_conversation_like_smollm2():
    tok = rehearsal.build_tokenizer("chatml", read_corpus()[:200])
    assert [tok.convert_ids_to_tokens(i) for i in (0, 1, 2)] == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    text = tok.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False, add_generation_prompt=True)
    assert text.startswith("<|im_start|>system\n") and text.endswith(
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )
    assert tok.eos_token == "<|im_end|>"


def test_wordpiece_tokenizer_is_uncased_and_gives_no_token_type_ids():
    tok = rehearsal.build_tokenizer("wordpiece", read_corpus()[:200])
    enc = tok("Hello World")
    assert set(enc) == {"input_ids", "attention_mask"}
    assert tok.convert_ids_to_tokens(enc["input_ids"])[0] == "[CLS]" and tok("hello world") == enc


def test_hub_cache_layout_resolves_a_hub_id_offline(tmp_path, monkeypatch):
    monkeypatch.setattr(rehearsal, "hub_cache_dir", lambda: tmp_path / "hub")
    root = rehearsal.build_rehearsal_hub(["sentence-transformers/all-MiniLM-L6-v2"], verbose=False)
    repo = root / "models--sentence-transformers--all-MiniLM-L6-v2"
    revision = (repo / "refs" / "main").read_text()
    assert len(revision) == 40 and (repo / "snapshots" / revision / "config.json").is_file()
    model = AutoModel.from_pretrained("sentence-transformers/all-MiniLM-L6-v2", cache_dir=root)
    tok = AutoTokenizer.from_pretrained("sentence-transformers/all-MiniLM-L6-v2", cache_dir=root)
    assert type(model).__name__ == "BertModel" and len(tok) == 30522
    assert json.loads((repo / "snapshots" / revision / "rehearsal.json").read_text())["weights"] == "real"
    with pytest.raises(ValueError, match="No rehearsal model for 'org/none'"):
        rehearsal.build_rehearsal_hub(["org/none"])
