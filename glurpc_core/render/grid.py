"""Several windows' plots in one image: their PNGs side by side (pure compute: Pillow).

Layer: render. `glurpc plot cgm.csv --index 0..2 --combine grid` asks for three
windows drawn as one figure. Each window is rendered (and cached) exactly as it
would be alone, and the grid pastes those images into rows of at most
GRID_COLUMNS, latest window first, so a tile of the grid is pixel for pixel the
single plot. PNG only: a grid of vector images would have to be drawn anew.
Never import matplotlib, asyncio or torch here.
"""

from __future__ import annotations

import io

from PIL import Image

GRID_COLUMNS = 3
MAX_GRID_WINDOWS = 12
PNG_COMPRESS_LEVEL = 3  # as the single plots (figure.py)
BACKGROUND = (255, 255, 255)


def grid_png(images: list[bytes]) -> bytes:
    """One PNG of `images` (PNG bytes, all the same size) in rows of GRID_COLUMNS."""
    if not 1 <= len(images) <= MAX_GRID_WINDOWS:
        raise ValueError(f"a grid holds 1..{MAX_GRID_WINDOWS} plots, not {len(images)}")
    tiles = [_decoded(image) for image in images]
    width, height = tiles[0].size
    if any(tile.size != (width, height) for tile in tiles):
        raise ValueError("the plots of a grid must share one size")
    columns = min(GRID_COLUMNS, len(tiles))
    rows = -(-len(tiles) // columns)
    sheet = Image.new("RGB", (columns * width, rows * height), BACKGROUND)
    for position, tile in enumerate(tiles):
        row, column = divmod(position, columns)
        sheet.paste(tile, (column * width, row * height))
    out = io.BytesIO()
    sheet.save(out, format="png", compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def _decoded(image: bytes) -> Image.Image:
    with Image.open(io.BytesIO(image)) as opened:
        return opened.convert("RGB")
