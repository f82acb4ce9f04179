"""BENCHMARKS.md is regenerated from ``benchmarks/sections/`` and its links resolve."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "assemble.py"
# Inline Markdown links [text](target), images excluded; written independently of the script.
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^()\s]+)\)")


def _assemble() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmarks_assemble", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _relative_links(text: str) -> list[str]:
    without_code = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    without_code = re.sub(r"`[^`\n]*`", "", without_code)
    return [t for t in LINK.findall(without_code) if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A minimal copy of the repository: the section files and what they link to."""
    shutil.copytree(ROOT / "benchmarks" / "sections", tmp_path / "benchmarks" / "sections")
    for target in _relative_links((ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")):
        path = target.partition("#")[0]
        if path and not (tmp_path / path).exists():
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / path, tmp_path / path)
    assert _assemble().main(["--root", str(tmp_path)]) == 0
    return tmp_path


def test_benchmarks_md_is_up_to_date() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr + result.stdout


def test_every_link_in_benchmarks_md_points_to_an_existing_file() -> None:
    text = (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")
    targets = _relative_links(text)
    sections = sorted((ROOT / "benchmarks" / "sections").glob("*.md"))
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in targets}
    assert len(targets) >= len(sections) - 1
    missing = [t for t in targets if not (ROOT / t.partition("#")[0]).exists()]
    assert missing == []
    unlinked = [p.name for p in sections if p.stem != "summary" and p.resolve() not in linked]
    assert unlinked == []


def test_benchmarks_md_opens_with_the_targets_table_and_stays_short() -> None:
    text = (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")
    head = text[: text.index("## Per area")]
    assert "| target | measured | status | command |" in head
    statuses = re.findall(r"^\|.*\| ([^|]+) \| [^|]+ \|$", head, flags=re.MULTILINE)
    rows = [s for s in statuses if s.strip() not in ("status", "---")]
    assert len(rows) >= 10
    assert all(re.search(r"\bmet\b|MISSED|partly|recorded", s) for s in rows), rows
    assert len(text.encode("utf-8")) < 16_000
    assert "```" not in text  # verbatim outputs stay in the section files


def test_check_fails_when_a_section_changes(repo_copy: Path) -> None:
    assemble = _assemble()
    assert assemble.main(["--root", str(repo_copy), "--check"]) == 0
    section = repo_copy / "benchmarks" / "sections" / "planner.md"
    section.write_text(section.read_text(encoding="utf-8") + "\n### A new run\n",
                       encoding="utf-8")
    assert assemble.main(["--root", str(repo_copy), "--check"]) == 1
    assert assemble.main(["--root", str(repo_copy)]) == 0
    assert assemble.main(["--root", str(repo_copy), "--check"]) == 0
    assert "planner.md#a-new-run" in (repo_copy / "BENCHMARKS.md").read_text(encoding="utf-8")


def test_check_fails_when_benchmarks_md_is_edited_by_hand(repo_copy: Path) -> None:
    out = repo_copy / "BENCHMARKS.md"
    out.write_text(out.read_text(encoding="utf-8").replace("MISSED", "met", 1),
                   encoding="utf-8")
    assert _assemble().main(["--root", str(repo_copy), "--check"]) == 1


def test_broken_link_and_bad_anchor_are_refused(repo_copy: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assemble = _assemble()
    summary = repo_copy / "benchmarks" / "sections" / "summary.md"
    text = summary.read_text(encoding="utf-8")
    summary.write_text(text + "\nSee [gone](benchmarks/sections/gone.md).\n", encoding="utf-8")
    assert assemble.main(["--root", str(repo_copy), "--check"]) == 2
    assert "gone.md" in capsys.readouterr().err
    summary.write_text(text + "\n[x](benchmarks/sections/planner.md#no-such-run)\n",
                       encoding="utf-8")
    assert assemble.main(["--root", str(repo_copy)]) == 2
    assert "#no-such-run" in capsys.readouterr().err


def test_a_section_missing_from_the_summary_is_refused(repo_copy: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    (repo_copy / "benchmarks" / "sections" / "new_area.md").write_text(
        "## New area\n\nsome run\n", encoding="utf-8")
    assert _assemble().main(["--root", str(repo_copy)]) == 2
    assert "new_area.md is not linked" in capsys.readouterr().err


def test_github_anchor() -> None:
    anchor = _assemble().github_anchor
    assert anchor("Supplementary: less extrapolation (sizes <= 1/4 of the largest)") == (
        "supplementary-less-extrapolation-sizes--14-of-the-largest")
    assert anchor("Sweep throughput (`benchmarks/sweep_throughput.py`)") == (
        "sweep-throughput-benchmarkssweep_throughputpy")
