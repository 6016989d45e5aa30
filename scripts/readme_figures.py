"""Copy the README's figures out of the executed notebooks (run after
scripts/refresh_notebooks.sh), so that each picture in the README is the one its
notebook stored, never drawn by hand.

    python scripts/readme_figures.py
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURES = {  # README figure -> (notebook, a call in the code cell that draws it)
    "docs/figures/imagenet-losses.png": ("02_imagenet_cnn_losses", "viz.plot_metric_bars("),
    "docs/figures/full-size.png": ("05_evaluation", "viz.full_size_grid("),
}


def first_png(notebook: str, marker: str) -> bytes:
    """The first PNG output of the first code cell of ``notebook`` containing ``marker``."""
    cells = json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text())["cells"]
    for cell in cells:
        if cell["cell_type"] == "code" and marker in "".join(cell["source"]):
            for output in cell.get("outputs", []):
                if "image/png" in output.get("data", {}):
                    return base64.b64decode(output["data"]["image/png"])
            raise SystemExit(f"readme_figures: {notebook}'s cell with {marker!r} has no PNG output")
    raise SystemExit(f"readme_figures: no cell of {notebook} contains {marker!r}")


def main() -> int:
    for target, (notebook, marker) in FIGURES.items():
        (ROOT / target).write_bytes(first_png(notebook, marker))
        print(f"[readme_figures] {target} <- notebooks/{notebook}.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
