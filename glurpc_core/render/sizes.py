"""How many bytes an image will take, known before it is drawn (pure).

A reply must fit one frame; a plot of 1,024 windows at 600 dpi would have
drawn about 535 MB before the reply was refused. The bounds below sit above
what the house figure measures (PNG grows with the dpi: 68 KB at 100 dpi,
538 KB at 600; SVG and PDF do not: 91 KB and 37 KB), so a request they
refuse could never have fitted, and one they accept nearly always fits.
"""

from __future__ import annotations

PNG_BASE_BYTES = 20_000
PNG_BYTES_PER_DPI = 1_100
VECTOR_BYTES = {"svg": 160_000, "pdf": 80_000}


def image_bytes_bound(fmt: str, dpi: int) -> int:
    """An upper estimate of one image's size in `fmt` at `dpi`."""
    if fmt == "png":
        return PNG_BASE_BYTES + PNG_BYTES_PER_DPI * dpi
    return VECTOR_BYTES[fmt]
