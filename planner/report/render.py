"""Render a :class:`~planner.report.content.ReportContent` to report.html + report.json.

HTML comes from the Jinja2 templates in ``planner/report/templates`` (autoescaped; figures
are inline SVG, CSS is inline: the page needs no network and opens from a file). report.json
is validated against ``planner/report/report_schema.json`` before anything is written;
both files are written atomically (temp file, then rename). The optional PDF is printed by
headless Chromium.

Examples
--------
>>> files = write_report(content, "report_dir")  # doctest: +SKIP
>>> files.html.name, files.json.name  # doctest: +SKIP
('report.html', 'report.json')
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sim2real.models.data.io import atomic_path, atomic_write_text
from sim2real.models.errors import ReportError
from sim2real.planner.report import formatting as f
from sim2real.planner.report.records import ReportContent

SCHEMA_PATH = Path(__file__).with_name("report_schema.json")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync")
FILTERS = {"num": f.fmt_num, "int": f.fmt_int, "size": f.fmt_size, "pct": f.fmt_pct,
           "interval": f.fmt_interval, "cost": f.fmt_cost, "rate": f.fmt_rate,
           "summary": f.fmt_summary, "slug": f.slug, "plural": f.plural}


@dataclass(frozen=True)
class ReportFiles:
    """Paths written by :func:`write_report` (``pdf`` is ``None`` unless asked for)."""

    html: Path
    json: Path
    pdf: Path | None = None


@lru_cache(maxsize=1)
def environment() -> Any:
    """The Jinja2 environment (autoescape on, strict undefined, formatting filters)."""
    import jinja2
    import markupsafe

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sim2real.planner", "report/templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True)
    env.filters.update(FILTERS)
    env.globals["svg"] = lambda fig: markupsafe.Markup(fig.svg)  # built by ElementTree
    env.globals["fmt"] = FILTERS
    return env


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of report.json."""
    return dict(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def validate_report_json(data: dict[str, Any]) -> None:
    """Raise :class:`~models.errors.ReportError` naming the first schema violations."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    if errors:
        where = "; ".join(f"/{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5])
        raise ReportError(f"report.json does not match its schema ({where}). This is a bug: "
                          "please report it with the command line.")


def render_html(content: ReportContent, figures: dict[str, list[Any]] | None = None) -> str:
    """The self-contained HTML page of ``content``."""
    from sim2real.planner.report.figures import all_figures

    figs = figures if figures is not None else all_figures(content)
    return str(environment().get_template("report.html.j2").render(
        c=content, d=content.decision, figs=figs, j=content.to_dict()))


def write_report(content: ReportContent, out_dir: str | Path, pdf: bool = False,
                 figures: dict[str, list[Any]] | None = None) -> ReportFiles:
    """Write ``out_dir/report.html`` and ``out_dir/report.json`` (and ``report.pdf``)."""
    out = Path(out_dir)
    data = content.to_dict()
    validate_report_json(data)
    html = render_html(content, figures)
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    json_path = atomic_write_text(text, out / "report.json")
    html_path = atomic_write_text(html, out / "report.html")
    pdf_path = print_pdf(html_path, out / "report.pdf") if pdf else None
    return ReportFiles(html=html_path, json=json_path, pdf=pdf_path)


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome executable, or ``None``."""
    env = os.environ.get("SIM2REAL_CHROMIUM")
    if env:
        return env
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def print_pdf(html: Path, pdf: Path, timeout: float = 120.0) -> Path:
    """Print ``html`` to ``pdf`` with headless Chromium (atomic)."""
    exe = find_chromium()
    if exe is None:
        raise ReportError("--pdf needs Chromium: install it (Debian: apt-get install "
                          "chromium, or scripts/ensure_chromium.sh) or set "
                          "SIM2REAL_CHROMIUM to its path.")
    with atomic_path(pdf, suffix=".pdf") as tmp, tempfile.TemporaryDirectory() as profile:
        cmd = [exe, *CHROMIUM_ARGS, f"--user-data-dir={profile}",
               "--no-pdf-header-footer", f"--print-to-pdf={tmp}", html.resolve().as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              check=False)
        if proc.returncode != 0 or os.path.getsize(tmp) == 0:
            raise ReportError(f"Chromium could not print {html} to PDF (exit "
                              f"{proc.returncode}): {proc.stderr.strip()[-400:]}")
    return pdf
