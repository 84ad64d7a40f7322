"""The Dockerfile and the registry-free image builder (e2e/image.py) produce the same layout:
user, entrypoint, venv path and PATH. The node tier runs the second; users with Docker build the
first, so they must not drift apart."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from e2e import image  # noqa: E402


def _dockerfile() -> str:
    # Continuation lines joined, so each instruction is one line.
    return (ROOT / "Dockerfile").read_text().replace("\\\n", " ")


def test_same_user_entrypoint_and_paths_as_the_dockerfile() -> None:
    text = _dockerfile()
    final = text.split("\nFROM base\n")[-1]  # the runtime stage
    assert f"USER {image.UID}:{image.UID}" in final
    assert 'ENTRYPOINT ["switchyard"]' in final
    assert f"python3 -m venv {image.VENV}" in final
    path = re.search(r"ENV PATH=(\S+)", final)
    assert path and f"PATH={path.group(1)}" == image.PATH_ENV
    for package in image.BASE_PACKAGES:
        assert package in text.split("AS base")[1].split("FROM")[0]
    assert f"--uid {image.UID}" in text
    for wheel in image.EXTRA_WHEELS:
        assert wheel in final


def test_the_chart_and_the_operator_run_as_the_image_uid() -> None:
    values = (ROOT / "helm" / "switchyard" / "values.yaml").read_text()
    assert f"runAsUser: {image.UID}" in values
    from switchyard.operator.routerres import RouterSettings
    from switchyard.operator.smokejobs import JobSettings

    assert RouterSettings(image="x").run_as_user == image.UID
    assert JobSettings(image="x").run_as_user == image.UID


def test_the_image_tag_follows_the_package_content(tmp_path: Path) -> None:
    for rel in ("pyproject.toml", "README.md", "switchyard/__init__.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    first = image.content_key(tmp_path)
    assert image.content_key(tmp_path) == first  # stable
    (tmp_path / "switchyard" / "__pycache__").mkdir()
    (tmp_path / "switchyard" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"\0")
    assert image.content_key(tmp_path) == first  # bytecode is not content
    (tmp_path / "switchyard" / "__init__.py").write_text("y\n")
    assert image.content_key(tmp_path) != first
