"""Loss curves from a Trainer's log history: training and validation loss on one plot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt


def loss_history(log_history: Sequence[Mapping]) -> dict[str, list[tuple[int, float]]]:
    """``{"train": [(step, loss), ...], "eval": [(step, eval_loss), ...]}`` from ``trainer.state.log_history``.

    One entry per step, the first logged: a run resumed from a checkpoint evaluates again at
    that step (``eval_on_start``) and logs the same loss twice.
    """

    def first_per_step(key: str) -> list[tuple[int, float]]:
        by_step: dict[int, float] = {}
        for entry in log_history:
            if key in entry:
                by_step.setdefault(int(entry["step"]), float(entry[key]))
        return list(by_step.items())

    return {"train": first_per_step("loss"), "eval": first_per_step("eval_loss")}


def plot_losses(runs: Mapping[str, Sequence[Mapping]], path: str | Path | None = None, title: str = ""):
    """Plot training (solid) and validation (dashed, dots) loss of each run; save to ``path`` if given.

    Args:
        runs: run name -> its ``trainer.state.log_history``.
        path: where to save the figure as PNG.
        title: the plot's title.

    Returns:
        The matplotlib figure.
    """
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for i, (name, log_history) in enumerate(runs.items()):
        history, colour = loss_history(log_history), f"C{i}"
        if history["train"]:
            ax.plot(*zip(*history["train"], strict=True), color=colour, label=f"{name}: training")
        if history["eval"]:
            ax.plot(*zip(*history["eval"], strict=True), "o--", color=colour, label=f"{name}: validation")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend(fontsize="small")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
