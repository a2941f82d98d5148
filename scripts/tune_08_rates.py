"""Choose notebook 08's tiny-profile learning rates on validation, one rate per method.

The notebook trains every method at the rate of ``LEARNING_RATES``. This script runs it on the
tiny profile at each method's rate scaled by each factor (``--factors``, default 1/10, 1/3, 1,
3), reads every method's validation loss from the runs' metrics.json, and prints the table
and the rate with the lowest validation loss per method: the values kept in
``course_utils/profiles.py``. Each factor is one execution of the notebook (about a minute).

    python scripts/tune_08_rates.py --out outputs/tune_08
"""

from __future__ import annotations

import argparse
from pathlib import Path

from course_utils.paths import repo_root
from course_utils.profiles import tiny_parameters
from course_utils.runner import execute_notebook

NAME = "08_peft_methods"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("outputs/tune_08"))
    parser.add_argument("--factors", type=float, nargs="+", default=[0.1, 1 / 3, 1.0, 3.0])
    args = parser.parse_args(argv)
    params = tiny_parameters(NAME)
    losses: dict[str, dict[float, float]] = {}
    for factor in args.factors:
        rates = {m: rate * factor for m, rate in params["LEARNING_RATES"].items()}
        out = args.out / f"x{factor:g}"
        notebook = repo_root() / "notebooks" / f"{NAME}.ipynb"
        metrics = execute_notebook(notebook, out, {**params, "LEARNING_RATES": rates})
        for row in metrics["rows"]:
            losses.setdefault(row["method"], {})[row["learning_rate"]] = row["val_loss"]
    print(f"{'method':<12}" + "".join(f"{'x' + format(f, '.3g'):>10}" for f in args.factors) + "   best rate")
    for method, by_rate in losses.items():
        best = min(by_rate, key=by_rate.get)
        print(f"{method:<12}" + "".join(f"{loss:>10.3f}" for loss in by_rate.values()) + f"   {best:.3g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
