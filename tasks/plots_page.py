"""`dvc plots show` as a page that works offline.

    python -m tasks.plots_page [-o dvc_plots] [dvc plots show args...]    # `make plots` runs this

DVC's page loads Vega, Vega-Lite and vega-embed from a CDN, so with no network it is blank but for
the SVG. This writes an HTML template for `dvc plots show --html-template` with the three libraries
inlined, from the bundle vl-convert-python (PyPI) ships, and runs DVC with it: the page it writes
fetches nothing. DVC's plot blocks call `vegaEmbed(...)` as the page loads, before a module script
has run, so a classic script first queues those calls and the bundle then replays them.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

QUEUE = "<script>window.__plots = []; window.vegaEmbed = function () { window.__plots.push(arguments); };</script>"
REPLAY = "window.vegaEmbed = vegaEmbed; for (const args of window.__plots) { vegaEmbed(...args); }"
PAGE = """<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  {refresh_tag}
  <title>tunesmith plots</title>
  %s
  <script type="module">%s</script>
</head>
<body>
  {plot_divs}
</body>
</html>
"""


def template() -> str:
    """The page template: DVC fills {plot_divs} (and {refresh_tag}); no {scripts}, so DVC adds no CDN."""
    import vl_convert

    bundle = vl_convert.javascript_bundle(snippet=REPLAY).replace("</script", "<\\/script")
    return PAGE % (QUEUE, bundle)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tasks.plots_page", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-o", "--out", default="dvc_plots", help="the folder DVC writes the page to (default: %(default)s)")
    args, rest = parser.parse_known_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    page = out / "offline-template.html"
    page.write_text(template(), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "dvc", "plots", "show", "--html-template", str(page), "-o", str(out),
                             *rest])
    if result.returncode == 0:
        print(f"tunesmith plots: {out / 'index.html'} (works offline)", file=sys.stderr)
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
