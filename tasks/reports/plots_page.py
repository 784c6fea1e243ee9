"""`dvc plots show` that works offline.

    python -m tasks.reports.plots_page            # `make setup` runs this: writes .dvc/plots/offline.html
    .venv/bin/dvc plots show              # then uses it (.dvc/config: plots.html_template)

DVC's own page loads Vega, Vega-Lite and vega-embed from a CDN, so with no network it is blank
but for the SVG. This writes the HTML template `.dvc/config` names for `dvc plots show`, with the
three libraries inlined from the bundle vl-convert-python (PyPI) ships, so the page DVC writes
fetches nothing. DVC's plot blocks call `vegaEmbed(...)` as the page loads, before a module script
has run, so a classic script first queues those calls and the bundle then replays them.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

TEMPLATE = Path(".dvc/plots/offline.html")  # .dvc/config: [plots] html_template = plots/offline.html
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
    parser = argparse.ArgumentParser(prog="python -m tasks.reports.plots_page", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=TEMPLATE, help="where to write the template (default: %(default)s)")
    args = parser.parse_args(argv)
    text = template()
    if not args.out.exists() or args.out.read_text(encoding="utf-8") != text:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(args.out)
        print(f"tunesmith: {args.out} written: `dvc plots show` pages now work offline", file=sys.stderr)


if __name__ == "__main__":
    main()
