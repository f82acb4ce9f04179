"""report.html in headless Chromium: no console errors, no network request, every figure
rendered with a non-zero size (wide, narrow and print layouts), a screenshot, the PDF, and
an end-to-end ``sim2real demo`` on the synthetic example.

Chromium is Debian's ``chromium`` (``scripts/ensure_chromium.sh``, run by ``make test``),
driven by the ``playwright`` Python package without a browser download. These tests fail
when Chromium is missing, unless ``SIM2REAL_SKIP_BROWSER=1``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sim2real.planner.cli import build_app
from sim2real.planner.report.render import CHROMIUM_ARGS, find_chromium, print_pdf, write_report
from tests.planner.report_fixtures import shared_content


def chromium() -> str:
    """Chromium's path; skip only when explicitly allowed, else fail."""
    if os.environ.get("SIM2REAL_SKIP_BROWSER") == "1":
        pytest.skip("SIM2REAL_SKIP_BROWSER=1")
    exe = find_chromium()
    if exe is None:
        pytest.fail("Chromium not found: run scripts/ensure_chromium.sh (make test does) or "
                    "set SIM2REAL_SKIP_BROWSER=1 to skip the browser tests.")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("the playwright package is missing: pip install -e '.[dev]'.")
    return exe


def inspect_page(html: Path, screenshot: Path, width: int = 1100,
                 media: str = "screen") -> dict[str, Any]:
    """Open ``html`` from a file:// URL; collect problems, figure boxes and page width."""
    from playwright.sync_api import sync_playwright

    found: dict[str, Any] = {"console": [], "requests": [], "failed": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), headless=True,
                                    args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("console", lambda m: found["console"].append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: found["console"].append(f"pageerror: {e}"))
            page.on("request", lambda r: found["requests"].append(r.url))
            page.on("requestfailed", lambda r: found["failed"].append(r.url))
            page.emulate_media(media=media)  # type: ignore[arg-type]
            page.goto(html.resolve().as_uri(), wait_until="load")
            found["boxes"] = [(el.get_attribute("id") or el.evaluate("e => e.tagName"),
                               el.bounding_box())
                              for el in page.query_selector_all("figure, svg")]
            found["scroll_width"] = page.evaluate("document.documentElement.scrollWidth")
            found["text"] = page.inner_text("body")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return found


def check(found: dict[str, Any], html: Path, width: int) -> None:
    assert found["console"] == []
    assert found["failed"] == []
    assert found["requests"] == [html.resolve().as_uri()]  # nothing but the page itself
    assert len(found["boxes"]) >= 12
    for name, box in found["boxes"]:
        assert box is not None and box["width"] > 50 and box["height"] > 50, (name, box)
    assert found["scroll_width"] <= width + 1  # no horizontal scrolling


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chromium()
    return write_report(shared_content()[2], tmp_path_factory.mktemp("browser")).html


def test_report_renders_in_chromium(report_html: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    found = inspect_page(report_html, shot)
    check(found, report_html, 1100)
    assert "1. Decision summary" in found["text"]
    assert ("Read before acting" in found["text"]) == bool(shared_content()[2].red_flags)
    assert shot.stat().st_size > 50_000
    print(f"screenshot: {shot}")


@pytest.mark.parametrize(("width", "media"), [(375, "screen"), (800, "print")])
def test_narrow_screen_and_print_layouts(report_html: Path, tmp_path: Path, width: int,
                                         media: str) -> None:
    found = inspect_page(report_html, tmp_path / f"report-{width}.png", width, media)
    check(found, report_html, width)


def test_pdf_is_printed(report_html: Path, tmp_path: Path) -> None:
    chromium()
    pdf = print_pdf(report_html, tmp_path / "report.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000


@pytest.mark.filterwarnings("ignore::sim2real.models.errors.ConvergenceWarning")  # tiny MCMC
def test_demo_end_to_end_on_the_synthetic_example(tmp_path: Path) -> None:
    chromium()
    out = tmp_path / "demo"
    # --no-compare: the four alternative fits (numba compiles, ~140 s) are exercised by
    # test_cli_families' demo; this test is about the page in a browser
    res = CliRunner().invoke(build_app(), ["demo", "--example", "synthetic", "--draws", "100",
                                           "--tune", "100", "--chains", "2", "--budget",
                                           "100000", "--no-compare", "--out", str(out)])
    assert res.exit_code == 0, res.output
    html = out / "report.html"
    assert str(html.resolve()) in res.output.replace("\n", "")
    assert {"report.html", "report.json", "plan.json", "posterior.nc"} <= {
        p.name for p in out.iterdir()}
    repro = json.loads((out / "report.json").read_text(encoding="utf-8"))["reproducibility"]
    assert repro["posterior"] == str(out / "posterior.nc")     # the file it hashes (#14)
    found = inspect_page(html, tmp_path / "demo.png")
    check(found, html, 1100)
    assert "bandgap_synth" in found["text"] and "chi_synth" in found["text"]
    print(f"screenshot: {tmp_path / 'demo.png'}")
