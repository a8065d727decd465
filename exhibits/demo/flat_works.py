"""The demo's second exhibition: sixteen public-domain paintings, prints and textile designs.

The images are web-sized copies (exhibits/demo/flat/, credited in ATTRIBUTION.md) of files in the
project's shared heritage image set. Title, maker, date and holding museum come from that set's
manifest; a physical size is given only where the source states one (two Commons file names),
so the others keep an unknown scale and say so. Regions are [x, y, w, h] in the committed
file's pixels, each chosen by looking at the picture.
"""

from __future__ import annotations

from pathlib import Path

from exhibits.demo.flat_paintings import PAINTINGS
from exhibits.demo.flat_prints import PRINTS_AND_TEXTILES
from exhibits.demo.flat_types import DemoFlatWork, DemoRegion

__all__ = ["DemoFlatWork", "DemoRegion"]

FLAT_DIR = Path(__file__).resolve().parent / "flat"

FLAT_EXHIBITION = {
    "slug": "paint-ink-and-thread",
    "title": "Paint, Ink and Thread",
    "introduction": (
        "Sixteen pictures from six centuries: panel and canvas paintings, lithographed posters "
        "and decorative panels, a pattern design and work in printed and embroidered cloth. "
        "Every one is a flat work that reaches a museum as an image. Open one and zoom in until "
        "you see the brush, the crayon or the stitch, and follow the regions its notes point to."
    ),
}
FLAT_EXHIBITION_FR = {
    "introduction": (
        "Seize images venues de six siècles : peintures sur panneau et sur toile, affiches et "
        "panneaux décoratifs lithographiés, un dessin de motif, une étoffe imprimée et une "
        "broderie. Toutes sont des œuvres planes qui entrent au musée sous forme d’image. "
        "Ouvrez-en une et zoomez jusqu’à voir le pinceau, le crayon ou le point de broderie, "
        "puis suivez les détails "
        "que signalent ses notes."
    ),
}

# code, name, centre x, centre y, width, depth, capacity (north of the entrance hall)
FLAT_ROOMS = (
    ("f1", "Old masters gallery", 6.0, 33.0, 12.0, 14.0, 24),
    ("f2", "Modern gallery", 18.0, 33.0, 12.0, 14.0, 24),
    ("f3", "Print and textile room", 30.0, 33.0, 12.0, 14.0, 24),
)
FLAT_PASSAGES = (("hall", "f1"), ("f1", "f2"), ("f2", "f3"), ("f3", "hall"))

FLAT_TOUR = {
    "title": "Looking closely: details in pictures",
    "description": (
        "A guided look at small things in large pictures: a mirror, a pearl, a signature, a "
        "printer's name. Each stop zooms to one region of a work."
    ),
}

FLAT_WORKS: list[DemoFlatWork] = [*PAINTINGS, *PRINTS_AND_TEXTILES]


# The demo tour: (filename, region title) per stop, in order; narration is the region's text.
FLAT_TOUR_STOPS = (
    ("van-eyck-arnolfini-portrait.jpg", "The convex mirror"),
    ("velazquez-las-meninas.jpg", "The mirror"),
    ("rembrandt-night-watch.jpg", "The girl in gold"),
    ("vermeer-girl-with-a-pearl-earring.jpg", "The pearl"),
    ("van-gogh-starry-night.jpg", "The moon"),
    ("mucha-job.jpg", "The printer's name"),
    ("morris-strawberry-thief.jpg", "A thrush"),
)
