"""ROUGE and BLEU by hand agree with rouge_score and sacrebleu, on the seeds' cases and on generated text."""

import evaluate
import pytest
import sacrebleu
from hypothesis import given, settings
from hypothesis import strategies as st
from rouge_score import rouge_scorer

from course_utils import metrics as M

REF = "It is cold outside"


def library_rouge(ref, pred):
    return rouge_scorer.RougeScorer(list(M.ROUGE_TYPES)).score(ref, pred)


@pytest.mark.parametrize(
    "pred",
    ["It is very cold outside", "cold cold cold cold", "outside cold it is", "It is cold outside", "warm"],
)
def test_seed_cases_every_component_equals_rouge_score(pred):
    lib = library_rouge(REF, pred)
    for key, ours in [
        ("rouge1", M.rouge_n(REF, pred, 1)),
        ("rouge2", M.rouge_n(REF, pred, 2)),
        ("rougeL", M.rouge_l(REF, pred)),
        ("rougeLsum", M.rouge_lsum(REF, pred)),
    ]:
        assert ours["precision"] == pytest.approx(lib[key].precision, abs=1e-12)
        assert ours["recall"] == pytest.approx(lib[key].recall, abs=1e-12)
        assert ours["fmeasure"] == pytest.approx(lib[key].fmeasure, abs=1e-12)


def test_seed_cases_known_values():
    very = M.rouge_n(REF, "It is very cold outside", 1)
    assert (very["recall"], very["precision"]) == (1.0, 0.8)
    assert very["fmeasure"] == pytest.approx(8 / 9)
    assert M.rouge_n(REF, "It is very cold outside", 2)["fmeasure"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    clipped = M.rouge_n(REF, "cold cold cold cold", 1)  # "cold" counts once: clipped to the reference
    assert clipped["precision"] == 0.25 and clipped["recall"] == 0.25
    reordered = "outside cold it is"
    assert M.rouge_n(REF, reordered, 1)["fmeasure"] == 1.0  # same words ...
    assert M.rouge_l(REF, reordered)["fmeasure"] == 0.5  # ... but only "it is" in order
    assert M.rouge_n(REF, reordered, 2)["fmeasure"] == pytest.approx(1 / 3)


WORDS = ["it", "is", "cold", "outside", "the", "cat", "sat", "on", "mat", "a", "Cold", "42", "very"]
PUNCT = [",", ".", "!", "?", "-", "'s", "(", ")", "\n", "  "]
text = st.lists(st.sampled_from(WORDS + PUNCT), min_size=0, max_size=25).map(" ".join)
pairs = st.lists(st.tuples(text, text), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None)
@given(pairs)
def test_rouge_by_hand_equals_rouge_score(data):
    preds, refs = [p for p, _ in data], [r for _, r in data]
    ours, lib = M.rouge_by_hand(preds, refs), M.compute_rouge(preds, refs)
    assert ours.keys() == lib.keys()
    for key in lib:
        assert ours[key] == pytest.approx(lib[key], abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(pairs)
def test_bleu_by_hand_equals_sacrebleu(data):
    preds, refs = [p for p, _ in data], [r for _, r in data]
    assert M.bleu_by_hand(preds, refs) == pytest.approx(M.compute_bleu(preds, refs), abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(text, text)
def test_sentence_bleu_with_effective_order_equals_sacrebleu(pred, ref):
    ours = M.bleu_from_statistics(M.bleu_statistics([pred], [ref]), effective_order=True)
    assert ours == pytest.approx(sacrebleu.sentence_bleu(pred, [ref]).score, abs=1e-9)


def test_bleu_translation_example_and_brevity_penalty():
    ref = "the cat is sitting on the mat"
    assert M.bleu_by_hand([ref], [ref]) == pytest.approx(100.0)
    short = "the cat is on the mat"
    stats = M.bleu_statistics([short], [ref])
    assert stats["correct"] == [6, 4, 2, 0]  # no 4-gram survives the missing word and stats["total"] == [6, 5, 4, 3]
    assert M.brevity_penalty(6, 7) == pytest.approx(2.718281828459045 ** (1 - 7 / 6))
    assert M.bleu_by_hand([short], [ref]) == pytest.approx(M.compute_bleu([short], [ref]))


def test_local_evaluate_scripts_match_direct_calls():
    preds, refs = ["It is very cold outside", "the cat sat"], [REF, "the cat sat on the mat"]
    rouge = evaluate.load(M.metric_script_path("rouge")).compute(predictions=preds, references=refs)
    assert rouge == pytest.approx(M.compute_rouge(preds, refs))
    bleu = evaluate.load(M.metric_script_path("bleu")).compute(predictions=preds, references=refs)
    assert bleu["bleu"] == pytest.approx(M.compute_bleu(preds, refs))


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="2 predictions but 1 references"):
        M.compute_rouge(["a", "b"], ["a"])
    with pytest.raises(TypeError, match="lists of strings"):
        M.bleu_by_hand("a b", "a b")
    with pytest.raises(ValueError, match="No local metric script"):
        M.metric_script_path("meteor")
