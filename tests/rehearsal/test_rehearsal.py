"""The rehearsal: every notebook on its Colab defaults, at the real architectures' shapes, offline.

Models are random-weight models built from the real config.json files and served from a
Hugging Face cache folder under their Hub ids; datasets are stand-ins with the real Hub
repositories' layout and schema; only step and example counts are cut
(``course_utils.profiles.REHEARSAL_PROFILE``). This guards the Colab path: real vocabularies,
module names, column types and memory at real widths.
"""

import pytest

from course_utils.runner import format_table, notebook_paths, run_course

NAMES = [p.stem for p in notebook_paths()]


@pytest.fixture(scope="session")
def rehearsal(tmp_path_factory):
    summary = run_course(tmp_path_factory.mktemp("rehearsal"), profile="rehearsal")
    print(format_table(summary))
    return {entry["name"]: entry for entry in summary}


@pytest.mark.parametrize("name", NAMES)
def test_every_notebook_runs_on_its_colab_defaults(rehearsal, name):
    entry = rehearsal[name]
    assert entry["status"] == "ok", entry.get("error")
    assert entry["peak_gib"] < 20, "a notebook must fit this 24 GiB machine"


def test_the_environment_check_loads_bloomz_560m_at_its_real_shape(rehearsal):
    m = rehearsal["00_environment_check"]["metrics"]
    assert m["model_name"] == "bigscience/bloomz-560m" and m["total_params"] == 559_214_592
    assert m["four_bit_ok"] and m["linear4bit_modules"] == 96  # 4 per block x 24; the head stays
