"""Generation helpers: padding restored, only new text returned, batching changes nothing."""

import pytest

from course_utils.models import load_model_and_tokenizer
from course_utils.tiny import tiny_model_path
from course_utils.train import generate, logits_of


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
