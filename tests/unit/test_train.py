"""Training and generation helpers: losses read back, padding restored, only new text returned."""

import pytest
import torch

from course_utils.models import load_model_and_tokenizer
from course_utils.tiny import tiny_model_path
from course_utils.train import causal_lm_dataset, generate, logits_of, train_causal_lm


def test_full_fine_tuning_a_few_steps_lowers_the_loss_and_restores_padding(tmp_path):
    torch.manual_seed(0)
    model, tok = load_model_and_tokenizer(tiny_model_path("bloom"))
    texts = ["Topic: kindness\nText: Kindness is the key to the heart."] * 8
    side = tok.padding_side
    result = train_causal_lm(
        model, tok, texts, output_dir=tmp_path, max_steps=10, learning_rate=1e-3, batch_size=4, logging_steps=1
    )
    assert tok.padding_side == side
    assert result.steps == list(range(1, 11)) and len(result.losses) == 10
    assert result.loss_last < result.loss_first - 0.5
    assert result.loss_last == pytest.approx(sum(result.losses[-5:]) / 5)
    assert not model.training


def test_dataset_appends_eos_and_rejects_empty_input():
    _, tok = load_model_and_tokenizer(tiny_model_path("bloom"))
    ds = causal_lm_dataset(tok, ["hello there"], max_length=16)
    assert ds[0]["input_ids"][-1] == tok.eos_token_id
    with pytest.raises(ValueError, match="No training texts"):
        causal_lm_dataset(tok, [], max_length=16)


def test_generate_returns_only_the_continuation_for_both_architectures():
    bloom, tok = load_model_and_tokenizer(tiny_model_path("bloom"))
    prompts = ["I want you to act as a", "The capital of France"]
    out = generate(bloom, tok, prompts, max_new_tokens=8)
    assert len(out) == 2 and not any(o.startswith(p) for o, p in zip(out, prompts, strict=True))
    single = generate(bloom, tok, prompts[:1], max_new_tokens=8)
    assert single[0] == out[0]  # left padding in a batch changes nothing
    assert generate(bloom, tok, prompts, max_new_tokens=8, batch_size=1) == out  # so neither does batching
    t5, t5_tok = load_model_and_tokenizer(tiny_model_path("t5"), task="seq2seq")
    assert all(isinstance(o, str) for o in generate(t5, t5_tok, prompts, max_new_tokens=8))
    logits = logits_of(bloom, tok, prompts)
    assert logits.shape[0] == 2 and logits.shape[-1] == bloom.config.vocab_size


def test_padding_side_is_restored_even_after_an_error():
    from course_utils.train import padding_side

    _, tok = load_model_and_tokenizer(tiny_model_path("bloom"))
    before = tok.padding_side
    with pytest.raises(RuntimeError), padding_side(tok, "right" if before == "left" else "left"):
        assert tok.padding_side != before
        raise RuntimeError("boom")
    assert tok.padding_side == before
