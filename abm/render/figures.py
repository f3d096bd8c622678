"""Drawing figures: matplotlib ``Figure`` objects on an Agg canvas (never ``pyplot``, so the
caller's backend and open figures are left alone), the colours of the scenarios, and the one PNG
writer of the package."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, PngImagePlugin

from abm.io.atomic import atomic_path

#: Resolution of the comparison's PNG files.
DPI = 110


def colour(i: int) -> tuple[float, float, float, float]:
    """Colour of the ``i``-th scenario (the reference is 0) in every figure."""
    return colormaps["tab10"](i % 10)


def new_figure(
    width: float, height: float, *, dpi: float | None = DPI, layout: str | None = "constrained"
) -> Figure:
    """A figure of ``width`` x ``height`` inches on its own Agg canvas."""
    fig = Figure(figsize=(width, height), dpi=dpi, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def save_png(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` as a PNG at :data:`DPI`, atomically (temporary file renamed when complete).

    The image is stored with a 256-colour palette (no dithering): lines, text and the
    translucent bands keep their look while the file is about a third of a true-colour PNG.
    """
    path = Path(path)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    fig.set_dpi(DPI)
    canvas.draw()
    rgb = Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")
    img = rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "focus-abm (matplotlib)")
    with atomic_path(path, suffix=".png") as tmp:
        img.save(tmp, format="PNG", optimize=True, dpi=(DPI, DPI), pnginfo=info)
    return path


def save_plain_png(fig: Figure, path: str | os.PathLike[str], dpi: float) -> Path:
    """Write ``fig`` as matplotlib's own true-colour PNG at ``dpi``, atomically."""
    path = Path(path)
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    return path
