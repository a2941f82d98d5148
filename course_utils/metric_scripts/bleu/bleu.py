"""Corpus BLEU (sacrebleu) as an ``evaluate`` metric that loads from this folder, offline.

evaluate.load(course_utils.metrics.metric_script_path("bleu"))
"""

import datasets
import evaluate

from course_utils.metrics import compute_bleu


class Bleu(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="Corpus BLEU (0 to 100) with sacrebleu's defaults, one reference each.",
            citation="Papineni et al., 2002. BLEU: a Method for Automatic Evaluation of Machine Translation.",
            inputs_description="predictions: list of str; references: list of str.",
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions, references):
        return {"bleu": compute_bleu(predictions, references)}
