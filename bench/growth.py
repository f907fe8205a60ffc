#!/usr/bin/env python
"""Growth: the same pages at two or more scales, from bench/pages.py result files, side by side.

    .venv/bin/python bench/growth.py bench/results/pages-A.json bench/results/pages-B.json [...]

The first file is the base (e.g. scale 1); every other column is its product median divided by the
base's, page by page (pages matched by their data-independent key). Targets: ≤ 1.3× at scale 100,
≤ 1.5× at scale 1000. Run the files back to back on the same machine, or the ratios mean nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def load(path: str) -> dict:
    result = json.loads(Path(path).read_text())
    placements = next((p["name"] for p in result["pages"] if p["key"].startswith("placements, no filter")), "")
    label = placements.rsplit("(of ", 1)[-1].rstrip(")") + " placements" if "(of " in placements else path
    load = (result["machine"].get("load_average_at_start"), result.get("load_average_at_end"))
    return {"label": label, "load": load, "started": result["started"],
            "pages": {p["key"]: p["product_time"]["median_ms"] for p in result["pages"]},
            "mix_rps": result.get("mix_rps")}


def main(paths: list[str]) -> None:
    runs = [load(p) for p in paths]
    base = runs[0]
    header = ["page", f"{base['label']} ms"]
    for run in runs[1:]:
        header += [f"{run['label']} ms", "×"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for key, base_ms in base["pages"].items():
        cells = [key, f"{base_ms}"]
        for run in runs[1:]:
            ms = run["pages"].get(key)
            cells += [f"{ms}" if ms else "–", f"{ms / base_ms:.2f}" if ms and base_ms else "–"]
        print("| " + " | ".join(cells) + " |")
    print()
    for run in runs:
        print(f"- {run['label']}: started {run['started']}, load {run['load']}, page mix {run['mix_rps']} req/s")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    main(sys.argv[1:])
