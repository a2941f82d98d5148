"""ROUGE as an ``evaluate`` metric that loads from this folder, offline.

evaluate.load(course_utils.metrics.metric_script_path("rouge"))
"""

import datasets
import evaluate

from course_utils.metrics import compute_rouge


class Rouge(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="Mean ROUGE-1/2/L/Lsum F1 with rouge_score (no stemming).",
            citation="Lin, 2004. ROUGE: A Package for Automatic Evaluation of Summaries.",
            inputs_description="predictions: list of str; references: list of str.",
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions, references):
        return compute_rouge(predictions, references)
