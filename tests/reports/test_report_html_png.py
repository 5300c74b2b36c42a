"""The HTML report as a person sees it: rendered by headless Chromium to a PNG.

Set INTAKE_UPDATE_DOCS=1 to copy the picture to docs/report.png.
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from intake.reports.render import render
from tests.support.reportdata import sample_report

DOCS_PICTURE = Path(__file__).resolve().parents[2] / "docs" / "report.png"
WIDTH, HEIGHT = 1000, 1400
COMPLETE_BOX = (0xE6, 0xF4, 0xEA)  # background of the "complets" total, set inline
LATE_BOX = (0xFC, 0xE8, 0xE6)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail("chromium is missing under CI: .ci/run must `apt-get install -y chromium`")
    pytest.skip("chromium is not installed (apt-get install -y chromium); CI is not set")


def screenshot(html: Path, png: Path, profile: Path) -> None:
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
               f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}", html.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": str(profile)})
    assert done.returncode == 0 and png.exists(), done.stderr[-2000:]


def test_html_report_renders_in_chromium(tmp_path):
    html = tmp_path / "report.html"
    html.write_bytes(render(sample_report(), "html"))
    png = tmp_path / "report.png"
    screenshot(html, png, tmp_path / "profile")
    with Image.open(png) as picture:
        image = picture.convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    colours = {colour for _, colour in image.getcolors(maxcolors=WIDTH * HEIGHT)}
    assert COMPLETE_BOX in colours and LATE_BOX in colours, "inline styles were applied"
    darkest = image.convert("L").getextrema()[0]
    assert darkest < 60, "text is drawn"
    if os.environ.get("INTAKE_UPDATE_DOCS"):
        DOCS_PICTURE.parent.mkdir(exist_ok=True)
        shutil.copyfile(png, DOCS_PICTURE)
