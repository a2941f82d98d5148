"""Likelihood scoring matches the model's own loss; labels parse from generated text."""

import pytest
import torch

from course_utils.data import load_course_dataset
from course_utils.models import load_model_and_tokenizer
from course_utils.scoring import choose, completion_logprobs, parse_label
from course_utils.tiny import tiny_model_path


def test_causal_score_equals_minus_the_models_summed_loss():
    model, tok = load_model_and_tokenizer(tiny_model_path("bloom"))
    prompt, completion = "The capital of France is", " Paris."
    ids = tok(prompt + completion, return_tensors="pt")["input_ids"]
    n_prompt = len(tok(prompt)["input_ids"])
    labels = ids.clone()
    labels[:, :n_prompt] = -100
    with torch.no_grad():
        loss = model(input_ids=ids, labels=labels).loss.item()
    score = completion_logprobs(model, tok, [prompt], [completion]).item()
    assert score == pytest.approx(-loss * (ids.shape[1] - n_prompt), rel=1e-4)


def test_scores_do_not_depend_on_the_batch_and_seq2seq_works():
    model, tok = load_model_and_tokenizer(tiny_model_path("bloom"))
    prompts = ["The opposite of hot is", "One mouse, two"]
    both = completion_logprobs(model, tok, prompts, [" cold.", " mice."])
    alone = torch.cat(
        [completion_logprobs(model, tok, [p], [c]) for p, c in zip(prompts, [" cold.", " mice."], strict=True)]
    )
    assert torch.allclose(both, alone, atol=1e-4)
    t5, t5_tok = load_model_and_tokenizer(tiny_model_path("t5"), task="seq2seq")
    assert completion_logprobs(t5, t5_tok, prompts, ["cold", "mice"]).shape == (2,)


def test_choose_prefers_what_the_pretraining_corpus_states():
    model, tok = load_model_and_tokenizer(tiny_model_path("bloom"))
    prompt = "@ShopNow my parcel never arrived and nobody answers my emails\nReply:"
    assert choose(model, tok, [prompt], [[" Thank you!", " We are sorry."]]) == [1]
    mc = load_course_dataset("multiple_choice")["train"]  # questions the corpus shows with answers
    picks = choose(
        model, tok, [f"Question: {q}\nAnswer:" for q in mc["question"]], [[" " + c for c in cs] for cs in mc["choices"]]
    )
    accuracy = sum(p == a for p, a in zip(picks, mc["answer"], strict=True)) / len(mc)
    assert accuracy > 0.6  # chance is 0.25


def test_parse_label_takes_the_longest_match():
    labels = ["complaint", "no complaint"]
    assert parse_label(" No complaint, thanks", labels) == "no complaint"
    assert parse_label("complaint", labels) == "complaint"
    assert parse_label("We are sorry", labels) is None
    with pytest.raises(ValueError, match="2 prompts but 1 completions"):
        completion_logprobs(None, None, ["a", "b"], ["c"])
