"""Likelihood scoring matches the model's own loss; labels parse from generated text."""

import pytest
import torch
from peft import PromptTuningConfig, TaskType, get_peft_model

from course_utils.data import load_course_dataset
from course_utils.models import load_model_and_tokenizer
from course_utils.scoring import (
    LOGITS_BUDGET_BYTES,
    choose,
    completion_logprobs,
    parse_label,
    plan_batches,
    scoring_bytes,
)
from course_utils.tiny import tiny_model_path

PROMPTS = ["The opposite of hot is", "One mouse, two", "@ShopNow my parcel never arrived\nReply:"]
COMPLETIONS = [" cold.", " mice.", " We are sorry, we will look into it."]


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


@torch.no_grad()
def _full_log_softmax_scores(model, tok, prompts, completions):
    """The straightforward way: one padded batch, a float32 log-softmax over every position."""
    tok.padding_side = "right"
    if model.config.is_encoder_decoder:
        enc = tok(prompts, return_tensors="pt", padding=True)
        targets = tok(completions, return_tensors="pt", padding=True)["input_ids"]
        targets[targets == tok.pad_token_id] = -100
        logits = model(**enc, labels=targets).logits
    else:
        batch = tok([p + c for p, c in zip(prompts, completions, strict=True)], return_tensors="pt", padding=True)
        labels = batch["input_ids"].clone()
        labels[batch["attention_mask"] == 0] = -100
        for row, prompt in enumerate(prompts):
            labels[row, : len(tok(prompt)["input_ids"])] = -100
        logits = model(**batch).logits[:, -labels.shape[1] :][:, :-1]
        targets = labels[:, 1:]
    logprobs = torch.log_softmax(logits.float(), dim=-1)
    mask = targets != -100
    picked = logprobs.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return (picked * mask).sum(dim=1)


def _prompt_tuned_bloom():
    model, tok = load_model_and_tokenizer(tiny_model_path("bloom"))
    torch.manual_seed(0)
    return get_peft_model(model, PromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=6)), tok


@pytest.mark.parametrize("kind", ["bloom", "prompt-tuned bloom", "t5"])
def test_scores_equal_a_full_log_softmax(kind):
    if kind == "t5":
        model, tok = load_model_and_tokenizer(tiny_model_path("t5"), task="seq2seq")
        completions = ["cold", "mice", "We are sorry."]
    else:
        model, tok = (
            _prompt_tuned_bloom()
            if kind == "prompt-tuned bloom"
            else load_model_and_tokenizer(tiny_model_path("bloom"))
        )
        completions = COMPLETIONS
    model.eval()
    expected = _full_log_softmax_scores(model, tok, PROMPTS, completions)
    assert torch.equal(completion_logprobs(model, tok, PROMPTS, completions), expected)  # same batch: same bits
    one_row_each = completion_logprobs(model, tok, PROMPTS, completions, max_logits_bytes=1)
    assert torch.allclose(one_row_each, expected, atol=1e-4)


def test_forward_passes_stay_within_the_logits_budget():
    model, tok = load_model_and_tokenizer(tiny_model_path("bloom"))
    prompts, completions = PROMPTS * 4, COMPLETIONS * 4
    longest = max(len(tok(p + c)["input_ids"]) for p, c in zip(prompts, completions, strict=True))
    budget = scoring_bytes(3, longest, 3 * longest, model.config.vocab_size)  # room for about three rows
    shapes = []
    hook = model.register_forward_pre_hook(
        lambda _, args, kwargs: shapes.append(kwargs["input_ids"].shape), with_kwargs=True
    )
    scores = completion_logprobs(model, tok, prompts, completions, max_logits_bytes=budget)
    hook.remove()
    assert sum(rows for rows, _ in shapes) == len(prompts) and len(shapes) > 1
    assert all(4 * rows * length * model.config.vocab_size <= budget for rows, length in shapes)
    assert torch.allclose(scores, completion_logprobs(model, tok, prompts, completions), atol=1e-4)


def test_plan_bounds_bloom_logits_at_real_vocabulary():
    vocab, length, n = 250_880, 200, 100  # Bloom's vocabulary, 200-token questions, 2-token answers
    batches = plan_batches([length] * n, [2] * n, vocab)
    assert [a for a, _ in batches] == [0] + [b for _, b in batches[:-1]] and batches[-1][1] == n  # in order, all
    rows = [b - a for a, b in batches]
    assert max(rows) == LOGITS_BUDGET_BYTES // scoring_bytes(1, length, 2, vocab) == 5
    assert all(scoring_bytes(r, length, 2 * r, vocab) <= LOGITS_BUDGET_BYTES for r in rows)
    # The old way: 32 rows, a float32 log-softmax of every position, about 12.8e9 bytes.
    assert 32 * length * vocab * 4 * 2 > 10 * LOGITS_BUDGET_BYTES
    # Short rows still batch up to max_rows; a row over the budget alone gets a batch of its own.
    assert plan_batches([10] * 40, [2] * 40, vocab) == [(0, 32), (32, 40)]
    assert plan_batches([10, 5000, 10], [2, 2, 2], vocab) == [(0, 1), (1, 2), (2, 3)]
