"""ROUGE and BLEU two ways: from the libraries, and written out by hand to teach them.

``compute_rouge`` / ``compute_bleu`` call rouge_score and sacrebleu (offline,
deterministic). ``rouge_by_hand`` / ``bleu_by_hand`` have the same signatures and return
the same numbers, built from the small pieces below (n-gram counts, clipped overlap,
longest common subsequence, brevity penalty), so a learner can read every step. The
tests check that the two agree on generated inputs.

Tokenization is where metric implementations quietly differ; we follow each library:
ROUGE lower-cases and keeps runs of letters and digits (as rouge_score does), BLEU uses
sacrebleu's standard "13a" tokenizer (reused, not rewritten: it is not what we teach).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
MAX_BLEU_ORDER = 4


def _check_pairs(predictions: Sequence[str], references: Sequence[str]) -> None:
    if isinstance(predictions, str) or isinstance(references, str):
        raise TypeError("predictions and references must be lists of strings, not a single string.")
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} references: they must pair up.")
    if not predictions:
        raise ValueError("No predictions to score.")


# --------------------------------------------------------------------------- libraries
def compute_rouge(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Mean ROUGE-1/2/L/Lsum F1 (0 to 1) with rouge_score, no stemming.

    rougeLsum treats each line as a sentence: join sentences with newlines.
    """
    from rouge_score import rouge_scorer

    _check_pairs(predictions, references)
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=False)
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    for pred, ref in zip(predictions, references, strict=True):
        scores = scorer.score(ref, pred)
        for key in ROUGE_TYPES:
            totals[key] += scores[key].fmeasure
    return {key: value / len(predictions) for key, value in totals.items()}


def compute_bleu(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU (0 to 100) with sacrebleu's defaults, one reference per prediction."""
    import sacrebleu

    _check_pairs(predictions, references)
    return sacrebleu.corpus_bleu(list(predictions), [list(references)]).score


# --------------------------------------------------------------------------- by hand: ROUGE
def rouge_tokens(text: str) -> list[str]:
    """Lower-case, and keep runs of letters and digits as words."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).split()


def ngram_counts(tokens: Sequence[str], n: int) -> Counter:
    """How often each run of ``n`` consecutive tokens occurs."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def f1(precision: float, recall: float) -> float:
    """Harmonic mean of precision and recall (0 when both are 0)."""
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def prf(matches: float, predicted: int, expected: int) -> dict[str, float]:
    """Precision, recall and F1 from a count of matches."""
    precision = matches / max(predicted, 1)
    recall = matches / max(expected, 1)
    return {"precision": precision, "recall": recall, "fmeasure": f1(precision, recall)}


def rouge_n(reference: str, prediction: str, n: int) -> dict[str, float]:
    """ROUGE-N: overlap of n-grams, each counted at most as often as in the reference (clipped)."""
    ref, pred = ngram_counts(rouge_tokens(reference), n), ngram_counts(rouge_tokens(prediction), n)
    overlap = sum((ref & pred).values())  # Counter & keeps the smaller count: the clipping
    return prf(overlap, sum(pred.values()), sum(ref.values()))


def lcs_table(a: Sequence[str], b: Sequence[str]) -> list[list[int]]:
    """table[i][j] = length of the longest common subsequence of a[:i] and b[:j]."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a, 1):
        for j, y in enumerate(b, 1):
            table[i][j] = table[i - 1][j - 1] + 1 if x == y else max(table[i - 1][j], table[i][j - 1])
    return table


def lcs_positions(a: Sequence[str], b: Sequence[str]) -> list[int]:
    """Positions in ``a`` of one longest common subsequence (read back from the table)."""
    table = lcs_table(a, b)
    i, j, positions = len(a), len(b), []
    while i > 0 and j > 0:
        if a[i - 1] == b[j - 1]:
            positions.append(i - 1)
            i, j = i - 1, j - 1
        elif table[i][j - 1] > table[i - 1][j]:
            j -= 1
        else:
            i -= 1
    return positions[::-1]


def rouge_l(reference: str, prediction: str) -> dict[str, float]:
    """ROUGE-L: the longest common subsequence (in order, gaps allowed) as the match count."""
    ref, pred = rouge_tokens(reference), rouge_tokens(prediction)
    if not ref or not pred:
        return prf(0, len(pred), len(ref))
    return prf(lcs_table(ref, pred)[-1][-1], len(pred), len(ref))


def rouge_lsum(reference: str, prediction: str) -> dict[str, float]:
    """Summary-level ROUGE-L: for each reference sentence (line), the union of its LCS
    with every predicted sentence; a word is counted at most as often as it occurs on
    both sides."""
    ref_sents = [rouge_tokens(s) for s in reference.split("\n") if s]
    pred_sents = [rouge_tokens(s) for s in prediction.split("\n") if s]
    n_ref, n_pred = sum(map(len, ref_sents)), sum(map(len, pred_sents))
    if not n_ref or not n_pred:
        return prf(0, n_pred, n_ref)
    left_ref = Counter(t for s in ref_sents for t in s)
    left_pred = Counter(t for s in pred_sents for t in s)
    hits = 0
    for ref in ref_sents:
        union = sorted(set().union(*(lcs_positions(ref, pred) for pred in pred_sents)))
        for token in (ref[i] for i in union):
            if left_ref[token] > 0 and left_pred[token] > 0:
                hits += 1
                left_ref[token] -= 1
                left_pred[token] -= 1
    return prf(hits, n_pred, n_ref)


def rouge_by_hand(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Same as :func:`compute_rouge`, from the pieces above."""
    _check_pairs(predictions, references)
    parts = {
        "rouge1": lambda r, p: rouge_n(r, p, 1),
        "rouge2": lambda r, p: rouge_n(r, p, 2),
        "rougeL": rouge_l,
        "rougeLsum": rouge_lsum,
    }
    return {
        key: sum(fn(r, p)["fmeasure"] for p, r in zip(predictions, references, strict=True)) / len(predictions)
        for key, fn in parts.items()
    }


# --------------------------------------------------------------------------- by hand: BLEU
def bleu_tokens(text: str) -> list[str]:
    """sacrebleu's default "13a" tokenization (punctuation split off), as a word list."""
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    return Tokenizer13a()(text.rstrip()).split()


def bleu_statistics(predictions: Sequence[str], references: Sequence[str]) -> dict[str, list[int] | int]:
    """Clipped n-gram matches and n-gram totals for n = 1..4, and both lengths, over a corpus."""
    correct, total = [0] * MAX_BLEU_ORDER, [0] * MAX_BLEU_ORDER
    pred_len = ref_len = 0
    for pred, ref in zip(predictions, references, strict=True):
        p, r = bleu_tokens(pred), bleu_tokens(ref)
        pred_len, ref_len = pred_len + len(p), ref_len + len(r)
        for n in range(1, MAX_BLEU_ORDER + 1):
            correct[n - 1] += sum((ngram_counts(p, n) & ngram_counts(r, n)).values())
            total[n - 1] += max(0, len(p) - n + 1)
    return {"correct": correct, "total": total, "pred_len": pred_len, "ref_len": ref_len}


def brevity_penalty(pred_len: int, ref_len: int) -> float:
    """1 when the output is at least as long as the reference, exp(1 - ref/pred) when shorter."""
    if pred_len >= ref_len:
        return 1.0
    return math.exp(1 - ref_len / pred_len) if pred_len > 0 else 0.0


def bleu_from_statistics(stats: dict, *, effective_order: bool = False) -> float:
    """BLEU (0 to 100): brevity penalty x geometric mean of the clipped precisions.

    An order with no match would make the geometric mean 0; like sacrebleu's default
    ("exp" smoothing) each such order gets 1 / (2^k x total) instead, k counting the
    orders without a match so far. ``effective_order`` (sentence BLEU) averages only
    over the orders the sentence is long enough to have.
    """
    correct, total = stats["correct"], stats["total"]
    if not any(correct):
        return 0.0
    log_precisions, halvings = [], 1.0
    for c, t in zip(correct, total, strict=True):
        if t == 0:
            break
        if c == 0:
            halvings *= 2
            log_precisions.append(math.log(100.0 / (halvings * t)))
        else:
            log_precisions.append(math.log(100.0 * c / t))
    order = len(log_precisions) if effective_order else MAX_BLEU_ORDER
    if len(log_precisions) < order:  # a missing order has precision 0: BLEU is 0
        return 0.0
    return brevity_penalty(stats["pred_len"], stats["ref_len"]) * math.exp(sum(log_precisions) / order)


def bleu_by_hand(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Same as :func:`compute_bleu`, from the pieces above."""
    _check_pairs(predictions, references)
    return bleu_from_statistics(bleu_statistics(predictions, references))


# --------------------------------------------------------------------------- evaluate
def metric_script_path(name: str) -> str:
    """A local metric folder for ``evaluate.load(path)``, which needs no Hub ("rouge", "bleu")."""
    path = Path(__file__).parent / "metric_scripts" / name
    if not (path / f"{name}.py").is_file():
        raise ValueError(f"No local metric script {name!r}; available: rouge, bleu.")
    return str(path)
