"""Runs notebooks headless through the installed gcgap kernel (nbclient), as CI does.

    VENV/bin/python scripts/run_notebooks.py [--out DIR] NOTEBOOK.ipynb ...

Each notebook runs top to bottom in a fresh kernel; a cell that raises fails the run. The
executed notebooks (with their outputs: text, tables, inline SVG figures) are written to DIR
(default: notebooks-out), and a summary line per notebook says how many cells ran and how many
figures and tables they showed. Set JUPYTER_PATH to DATA/jupyter for a kernel installed with
`gcgap --install-kernel --prefix P` (DATA = P/share).
"""
import argparse
import os
import sys
import time

import nbformat
from nbclient import NotebookClient


def run(path, out_dir):
    nb = nbformat.read(path, as_version=4)
    t0 = time.time()
    NotebookClient(nb, kernel_name="gcgap", timeout=600, resources={"metadata": {"path": os.path.dirname(path) or "."}}).execute()
    figures = tables = 0
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            figures += "image/svg+xml" in data
            tables += "text/html" in data or "text/markdown" in data
    os.makedirs(out_dir, exist_ok=True)
    nbformat.write(nb, os.path.join(out_dir, os.path.basename(path)))
    code = sum(c.cell_type == "code" for c in nb.cells)
    print(f"{path}: {code} code cells ran in {time.time() - t0:.1f} s; {figures} figures, {tables} tables")
    return figures, tables


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="notebooks-out")
    ap.add_argument("notebooks", nargs="+")
    a = ap.parse_args()
    for p in a.notebooks:
        run(p, a.out)


if __name__ == "__main__":
    sys.exit(main())
