#!/bin/bash
# Renders the example notebooks as a reader sees them: runs each through the installed gcgap
# kernel (scripts/run_notebooks.py), converts it to HTML with nbconvert, screenshots the page
# with headless Chromium, and saves every inline figure as SVG. Outside CI.
#
#   gcgap --install-kernel --prefix P                  # the kernel and its venv
#   P/share/gcgap/venv/bin/pip install nbconvert         # once
#   apt-get install chromium                             # once
#   scripts/dev/notebook_screenshots.sh P OUT [NOTEBOOK.ipynb ...]   (default: examples/*.ipynb)
#
# Writes OUT/<name>.ipynb (executed), OUT/<name>.html, OUT/<name>.png and OUT/<name>-<k>.svg.
set -euo pipefail
prefix=$1 out=$2
shift 2
notebooks=("$@")
[ ${#notebooks[@]} -gt 0 ] || notebooks=(examples/*.ipynb)
py=$prefix/share/gcgap/venv/bin/python
export JUPYTER_PATH=$prefix/share/jupyter
"$py" scripts/run_notebooks.py --out "$out" "${notebooks[@]}"
for nb in "${notebooks[@]}"; do
  name=$(basename "$nb" .ipynb)
  "$py" -m nbconvert --to html --log-level WARN "$out/$name.ipynb"
  "$py" - "$out/$name.ipynb" "$out/$name" <<'PY'
import sys, nbformat
nb, stem, k = nbformat.read(sys.argv[1], as_version=4), sys.argv[2], 0
for cell in nb.cells:
    for o in cell.get("outputs", []):
        svg = o.get("data", {}).get("image/svg+xml")
        if svg:
            k += 1
            open(f"{stem}-{k}.svg", "w").write(svg if isinstance(svg, str) else "".join(svg))
PY
  chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,1900 \
    --screenshot="$out/$name.png" "file://$(realpath "$out/$name.html")" 2>/dev/null
  echo "$out/$name.png"
done
