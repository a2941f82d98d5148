"""`make lesson` and `make lab`: a prepared lesson, opened through a real Jupyter server and run by its kernel."""

import json
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course_utils.lesson import lab_command, prepare_lesson
from course_utils.paths import repo_root
from course_utils.profiles import tiny_parameters
from course_utils.runner import KERNEL_NAME, noisy_outputs
from course_utils.tiny import tiny_model_path

NAME = "00_environment_check"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _injected(notebook: dict) -> str:
    cells = [c for c in notebook["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(cells) == 1, "papermill injects exactly one parameters cell"
    return "".join(cells[0]["source"])


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("course-lab")


@pytest.fixture(scope="module")
def lesson(root) -> Path:
    return prepare_lesson("00", out_dir=root / "lessons", results_dir=root / "results")


@pytest.fixture(scope="module")
def server(root, lesson):
    """A JupyterLab server on loopback with a token, started as `make lab` starts it; stopped after."""
    port, token = _free_port(), secrets.token_hex(16)
    command = lab_command(
        root,
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
    )
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"

    def api(path: str, method: str = "GET", body: dict | None = None, auth: bool = True):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(base + path, data=data, method=method)
        if auth:
            request.add_header("Authorization", f"token {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text else None

    deadline = time.monotonic() + 120
    while True:
        try:
            api("/api/status")
            break
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("jupyter lab did not answer on loopback within 120 s")
            time.sleep(0.5)
    yield api
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_lesson_holds_the_tiny_profile_and_the_course_kernel_and_leaves_the_original_alone(lesson, root):
    original = (repo_root() / "notebooks" / f"{NAME}.ipynb").read_text()
    prepared = json.loads(lesson.read_text())
    assert lesson.name == f"{NAME}.ipynb"
    assert prepared["metadata"]["kernelspec"]["name"] == KERNEL_NAME
    injected = _injected(prepared)
    assert f'MODEL_NAME = "{tiny_parameters(NAME)["MODEL_NAME"]}"' in injected
    assert f'OUTPUT_DIR = "{root / "results"}"' in injected
    assert all(not c.get("outputs") for c in prepared["cells"] if c["cell_type"] == "code"), "not executed"
    assert (
        "injected-parameters" not in original and (repo_root() / "notebooks" / f"{NAME}.ipynb").read_text() == original
    )


def test_instructors_copy_has_every_solution_filled_in(root):
    solved = json.loads(prepare_lesson("00", out_dir=root / "instructor", solutions=True).read_text())
    answers = [c for c in solved["cells"] if "solution" in c["metadata"].get("tags", [])]
    asked = [
        c for c in solved["cells"] if "".join(c["source"]).startswith("answer_") and "= None" in "".join(c["source"])
    ]
    assert answers and not asked
    assert not any("wrong-answer" in c["metadata"].get("tags", []) for c in solved["cells"])


def test_a_name_that_matches_no_notebook_is_one_clear_error():
    with pytest.raises(
        ValueError, match=r"N='9' matches no notebook; give the start of one name: 00_environment_check"
    ):
        prepare_lesson("9")


def test_server_answers_with_its_token_only(server):
    status, body = server("/api/status")
    assert status == 200 and "started" in body
    with pytest.raises(urllib.error.HTTPError) as refused:
        server("/api/kernels", auth=False)
    assert refused.value.code == 403


def test_server_lists_the_course_kernel_and_opens_the_prepared_lesson(server, lesson):
    _, specs = server("/api/kernelspecs")
    assert KERNEL_NAME in specs["kernelspecs"]
    _, opened = server(f"/api/contents/lessons/{lesson.name}?content=1")
    assert opened["type"] == "notebook"
    assert opened["content"]["metadata"]["kernelspec"]["name"] == KERNEL_NAME
    assert _injected(opened["content"]) == _injected(json.loads(lesson.read_text()))


def test_server_starts_the_course_kernel(server):
    _, kernel = server("/api/kernels", method="POST", body={"name": KERNEL_NAME})
    try:
        assert kernel["name"] == KERNEL_NAME
        _, listed = server("/api/kernels")
        assert kernel["id"] in {k["id"] for k in listed}
    finally:
        server(f"/api/kernels/{kernel['id']}", method="DELETE")


@pytest.mark.notebook
def test_prepared_lesson_runs_top_to_bottom_on_the_kernel_it_names(lesson, root):
    notebook = nbformat.read(lesson, as_version=4)
    NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(lesson.parent)}}).execute()
    assert noisy_outputs(notebook) == []
    metrics = json.loads((root / "results" / "metrics.json").read_text())  # where the injected OUTPUT_DIR says
    manifest = json.loads((tiny_model_path("bloom") / "manifest.json").read_text())
    assert metrics["total_params"] == manifest["params"], "the lesson ran on the embedded tiny Bloom"
    assert metrics["four_bit_ok"] is True and metrics["recommended_profile"] == "tiny"
