"""Loss curves from a Trainer's log history: training and validation loss on one plot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt


def loss_history(log_history: Sequence[Mapping]) -> dict[str, list[tuple[int, float]]]:
    """``{"train": [(step, loss), ...], "eval": [(step, eval_loss), ...]}`` from ``trainer.state.log_history``."""
    return {
        "train": [(int(e["step"]), float(e["loss"])) for e in log_history if "loss" in e],
        "eval": [(int(e["step"]), float(e["eval_loss"])) for e in log_history if "eval_loss" in e],
    }


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
