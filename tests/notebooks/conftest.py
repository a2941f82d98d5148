"""Execute a notebook once per test session on the tiny profile; tests assert on its metrics.

Where the notebook has a solutions file, the executed copy is the solved one: every exercise
answered wrongly first, then with its solution (``course_utils.exercises.with_solutions``).
"""

import pytest

from course_utils.exercises import solutions_path
from course_utils.paths import repo_root
from course_utils.profiles import tiny_parameters
from course_utils.runner import execute_notebook


@pytest.fixture(scope="session")
def run_notebook(tmp_path_factory):
    """``run_notebook(name) -> metrics``: executed at most once per session."""
    cache: dict[str, dict] = {}

    def run(name: str) -> dict:
        if name not in cache:
            out = tmp_path_factory.mktemp(name)
            solved = solutions_path(name).is_file()
            cache[name] = execute_notebook(
                repo_root() / "notebooks" / f"{name}.ipynb", out, tiny_parameters(name), solutions=solved
            )
            cache[name]["_output_dir"] = str(out)
        return cache[name]

    return run


@pytest.fixture(scope="module")
def metrics(run_notebook, request):
    """The metrics.json of the notebook named by the test module's ``NAME``."""
    return run_notebook(request.module.NAME)
