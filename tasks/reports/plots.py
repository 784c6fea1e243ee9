"""The loss curves as a self-contained SVG: `dvc plots show` embeds image plots as they are, so this
one renders offline, where its Vega-Lite charts of the same JSON need scripts from a CDN.
"""
from __future__ import annotations

from xml.sax.saxutils import escape

WIDTH, HEIGHT, MARGIN = 640, 360, 48
SERIES = (("train_loss", "#1f77b4", "train"), ("val_loss", "#d62728", "validation"))


def loss_svg(train: list[dict], val: list[dict], title: str = "loss per iteration") -> str:
    """Train and validation loss against iteration, with axes, ticks and a legend.

    >>> svg = loss_svg([{"iteration": 10, "train_loss": 3.0}, {"iteration": 20, "train_loss": 2.0}],
    ...                [{"iteration": 0, "val_loss": 4.0}])
    >>> svg.count("<polyline"), "validation" in svg
    (2, True)
    """
    points = [(r["iteration"], r[key]) for rows, (key, _, _) in ((train, SERIES[0]), (val, SERIES[1])) for r in rows]
    if not points:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}"/>'
    x_max = max(1, max(x for x, _ in points))
    y_max = max(y for _, y in points) * 1.05 or 1.0
    sx = lambda x: MARGIN + (WIDTH - 2 * MARGIN) * x / x_max  # noqa: E731
    sy = lambda y: HEIGHT - MARGIN - (HEIGHT - 2 * MARGIN) * y / y_max  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" '
             f'font-size="11"><rect width="100%" height="100%" fill="white"/>',
             f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="13">{escape(title)}</text>',
             f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" y2="{HEIGHT - MARGIN}" stroke="black"/>',
             f'<line x1="{MARGIN}" y1="{MARGIN}" x2="{MARGIN}" y2="{HEIGHT - MARGIN}" stroke="black"/>']
    for i in range(5):
        y, x = y_max * i / 4, x_max * i / 4
        parts.append(f'<text x="{MARGIN - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">{y:.2f}</text>')
        parts.append(f'<text x="{sx(x):.1f}" y="{HEIGHT - MARGIN + 16}" text-anchor="middle">{x:.0f}</text>')
    parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT - 8}" text-anchor="middle">iteration</text>')
    for n, (rows, (key, colour, label)) in enumerate(((train, SERIES[0]), (val, SERIES[1]))):
        coords = " ".join(f"{sx(r['iteration']):.1f},{sy(r[key]):.1f}" for r in rows)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{coords}"/>')
        parts.append(f'<text x="{WIDTH - MARGIN - 90}" y="{MARGIN + 14 * n}" fill="{colour}">{label}</text>')
    return "\n".join(parts + ["</svg>"]) + "\n"
