"""Benchmark: a 100-section pöytäkirja to PDF/A-3b (minutes engine vs WeasyPrint alone).

Targets (docs/performance-minutes.md):

* the whole minutes pipeline — document → HTML (Django templates) → PDF/A-3b with the decisions
  JSON attached — takes at most 1.2 × the time WeasyPrint alone takes to turn the same HTML and
  stylesheet into a plain PDF, measured in the same run (medians, runs interleaved);
* and under 15 s.

Times are the process's CPU time (``time.process_time``; WeasyPrint renders in one thread), so
other load on a shared machine does not decide the result; wall-clock times are reported too.
Peak memory is reported as the process's maximum resident set size (``ru_maxrss``) and the
tracemalloc peak of one extra pipeline run (traced separately, since tracing slows it down).
Exits 1 if a target is missed.

Usage: ``.venv/bin/python bench/bench_minutes_pdf.py [--items 100] [--runs 3] [--json]``
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokous.settings")

import django  # noqa: E402

django.setup()

import pikepdf  # noqa: E402
from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402

from minutes.pdf import FONT_DIR, font_face_css  # noqa: E402
from minutes.render import print_css, render_html, render_minutes_pdf  # noqa: E402
from minutes.samples import sample_minutes  # noqa: E402

MAX_RATIO = 1.2
MAX_SECONDS = 15.0


def weasyprint_alone(html: str, css: str) -> bytes:
    """The baseline: the same HTML and stylesheet (with the same fonts), default options."""
    font_config = FontConfiguration()
    return HTML(string=html, base_url=FONT_DIR.as_uri() + "/").write_pdf(
        stylesheets=[CSS(string=font_face_css() + "\n" + css, font_config=font_config)],
        font_config=font_config,
    )


def timed(function, *args):
    """(CPU seconds, wall seconds, result) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = function(*args)
    return time.process_time() - cpu, time.perf_counter() - wall, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100, help="sections in the minutes")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()

    document = sample_minutes(extra_items=max(0, args.items - 7))
    html = render_html(document)
    css = print_css()

    # Warm-up (imports, font loading, template compilation), not timed.
    weasyprint_alone(html, css)
    render_minutes_pdf(document)

    ours, baseline, ours_wall, baseline_wall = [], [], [], []
    pdf = b""
    for _ in range(args.runs):
        cpu, wall, _plain = timed(weasyprint_alone, html, css)
        baseline.append(cpu)
        baseline_wall.append(wall)
        cpu, wall, pdf = timed(render_minutes_pdf, document)
        ours.append(cpu)
        ours_wall.append(wall)

    with pikepdf.open(io.BytesIO(pdf)) as opened:
        pages = len(opened.pages)

    tracemalloc.start()
    render_minutes_pdf(document)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    max_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    ours_median, baseline_median = statistics.median(ours), statistics.median(baseline)
    ratio = ours_median / baseline_median
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
                   f"{platform.python_version()}",
        "sections": len(document.sections),
        "pages": pages,
        "pdf_bytes": len(pdf),
        "pipeline_cpu_s": [round(s, 3) for s in ours],
        "weasyprint_alone_cpu_s": [round(s, 3) for s in baseline],
        "pipeline_wall_s": [round(s, 3) for s in ours_wall],
        "weasyprint_alone_wall_s": [round(s, 3) for s in baseline_wall],
        "pipeline_median_s": round(ours_median, 3),
        "weasyprint_median_s": round(baseline_median, 3),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "ratio": round(ratio, 3),
        "max_rss_mib": round(max_rss_kib / 1024, 1),
        "tracemalloc_peak_mib": round(traced_peak / 2**20, 1),
        "targets": {"max_ratio": MAX_RATIO, "max_seconds": MAX_SECONDS},
    }
    failures = []
    if ratio > MAX_RATIO:
        failures.append(f"ratio {ratio:.3f} > {MAX_RATIO}")
    if ours_median >= MAX_SECONDS:
        failures.append(f"median {ours_median:.2f} s >= {MAX_SECONDS} s")
    result["ok"] = not failures

    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"minutes PDF benchmark — {result['machine']}")
        print(f"  {result['sections']} sections, {pages} pages, {len(pdf) / 1024:.0f} KiB")
        print(f"  pipeline (document → PDF/A-3b): median {ours_median:.2f} s CPU  "
              f"{result['pipeline_cpu_s']} (wall {result['pipeline_wall_s']})")
        print(f"  WeasyPrint alone (same HTML):   median {baseline_median:.2f} s CPU  "
              f"{result['weasyprint_alone_cpu_s']} (wall {result['weasyprint_alone_wall_s']})")
        print(f"  load average {result['load_average']}")
        print(f"  ratio {ratio:.3f} (target ≤ {MAX_RATIO}), time target < {MAX_SECONDS} s")
        print(f"  peak memory: max RSS {result['max_rss_mib']} MiB, "
              f"tracemalloc peak {result['tracemalloc_peak_mib']} MiB")
        print("  OK" if not failures else "  MISSED: " + "; ".join(failures))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
