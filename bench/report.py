"""Writing one benchmark's section into BENCHMARKS.md, between its own markers.

Each script owns a section ``<!-- NAME:start -->`` … ``<!-- NAME:end -->`` and leaves the rest of
the file alone, so benchmarks can be rerun one at a time.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "BENCHMARKS.md"


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of section ``name``."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def write_section(name: str, section: str, path: Path = BENCHMARKS) -> None:
    """Put ``section`` between the markers of ``name`` in ``path``, creating or appending as needed."""
    start_marker, end_marker = markers(name)
    body = f"{start_marker}\n{section.strip()}\n{end_marker}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start, end = text.find(start_marker), text.find(end_marker)
    if start != -1 and end > start:
        text = text[:start] + body + text[end + len(end_marker):]
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    path.write_text(text, encoding="utf-8")


def machine() -> dict[str, str | int | None]:
    """Platform, CPU model, core count and Python version of this machine."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(),
            "python": platform.python_version()}


def machine_line() -> str:
    """The machine in one line, for a section's header."""
    m = machine()
    return f"{m['platform']}, {m['cpu']}, {m['cores']} cores, Python {m['python']}"
