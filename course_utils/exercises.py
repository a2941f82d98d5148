"""Check cells for the exercises: say whether an answer is right, and by how much not."""

from __future__ import annotations

import math
from typing import Any


def check(name: str, answer: Any, expected: Any, *, rel_tol: float = 1e-6) -> bool | None:
    """Print a verdict for one exercise and return it (None while unanswered).

    Args:
        name: the exercise, as the notebook names it.
        answer: the learner's answer (None until they fill it in).
        expected: the value the notebook computed.
        rel_tol: relative tolerance for numbers.
    """
    if answer is None:
        print(f"{name}: not answered yet (replace the None above, then run this cell again).")
        return None
    if isinstance(expected, (int, float)) and isinstance(answer, (int, float)):
        ok = math.isclose(answer, expected, rel_tol=rel_tol)
    else:
        ok = answer == expected
    print(f"{name}: {'correct' if ok else f'not yet: expected {expected!r}, got {answer!r}'}")
    return ok
