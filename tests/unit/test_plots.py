"""Loss curves read the Trainer's log history as it is."""

import matplotlib

from course_utils.plots import loss_history, plot_losses

matplotlib.use("Agg")

LOG = [
    {"loss": 2.0, "step": 5, "epoch": 0.5},
    {"eval_loss": 1.9, "step": 5, "epoch": 0.5},
    {"loss": 1.5, "step": 10, "epoch": 1.0},
    {"eval_loss": 1.7, "step": 10, "epoch": 1.0},
    {"train_loss": 1.75, "train_runtime": 1.0, "step": 10},
]


def test_history_splits_training_and_validation_loss():
    assert loss_history(LOG) == {"train": [(5, 2.0), (10, 1.5)], "eval": [(5, 1.9), (10, 1.7)]}
    # a run resumed at step 10 evaluates there again (eval_on_start): the step is listed once
    resumed = [*LOG, {"eval_loss": 1.7, "step": 10, "epoch": 1.0}]
    assert loss_history(resumed) == loss_history(LOG)


def test_plot_draws_both_curves_per_run_and_saves(tmp_path):
    fig = plot_losses({"a": LOG, "b": LOG[:1]}, tmp_path / "x.png", "t")
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels == ["a: training", "a: validation", "b: training"]
    assert (tmp_path / "x.png").stat().st_size > 1000
