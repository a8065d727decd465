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

# The wall labels in French, by file (served to visitors who read French).
FLAT_LABELS_FR = {
    "van-eyck-arnolfini-portrait.jpg": (
        "Van Eyck signe sur le mur comme un témoin : « Jan van Eyck était ici ». Le miroir "
        "convexe, au-dessous, montre le couple de dos et deux visiteurs qui entrent."
    ),
    "botticelli-birth-of-venus.jpg": (
        "Vénus, née de la mer, poussée vers le rivage sur un coquillage. La Florence de "
        "Botticelli lisait ce mythe antique comme une image de la beauté qui élève l’esprit."
    ),
    "leonardo-last-supper.jpg": (
        "Une peinture murale, montrée ici en image : les apôtres réagissent, par groupes de "
        "trois, aux paroles du Christ annonçant que l’un d’eux le trahira."
    ),
    "rembrandt-night-watch.jpg": (
        "Un portrait de groupe en mouvement. Rembrandt éclaire deux officiers et une fillette "
        "vêtue d’or ; le vernis sombre qui le couvrit plus tard a donné son nom au tableau."
    ),
    "velazquez-las-meninas.jpg": (
        "Qui est peint ? Le peintre nous regarde, et le miroir du fond répond : le roi et la "
        "reine, debout là où nous nous tenons."
    ),
    "vermeer-girl-with-a-pearl-earring.jpg": (
        "Ce n’est le portrait de personne : c’est l’étude d’un visage, d’un turban et de la "
        "lumière. La perle tient en quelques touches : un éclat vif et un reflet au-dessous."
    ),
    "van-gogh-starry-night.jpg": (
        "Peinte à l’asile de Saint-Rémy, d’après la vue de sa fenêtre et de mémoire : le ciel "
        "bouge, le village dort."
    ),
    "munch-scream.jpg": (
        "Munch a raconté une promenade au coucher du soleil où il sentit « un cri infini "
        "traverser la nature ». L’œuvre est peinte sur carton, à l’huile, à la détrempe et au "
        "pastel."
    ),
    "kandinsky-composition-viii.jpg": (
        "Peinte quand Kandinsky enseignait au Bauhaus : la géométrie à la place du paysage, "
        "ordonnée comme un compositeur ordonne les sons."
    ),
    "mucha-job.jpg": (
        "Une publicité pour du papier à cigarettes devenue l’une des images de l’Art nouveau : "
        "la chevelure tient lieu d’ornement."
    ),
    "mucha-lorenzaccio.jpg": (
        "Sarah Bernhardt en jeune homme, le Florentin Lorenzo : l’une des grandes affiches "
        "étroites que Mucha dessina pour son théâtre."
    ),
    "mucha-zodiac.jpg": "Les douze signes du zodiaque entourent un profil : un calendrier.",
    "mucha-the-seasons.jpg": (
        "Des panneaux décoratifs, vendus pour être encadrés et accrochés chez soi : l’Art "
        "nouveau au prix d’une estampe."
    ),
    "morris-strawberry-thief.jpg": (
        "Des grives qui volent des fraises, une scène du jardin de Morris, devenue un motif "
        "répété en miroir."
    ),
    "morris-wreath.jpg": (
        "Un dessin en cours : un seul raccord mis en couleur, le reste au trait, et des notes "
        "sur les variantes de coloris."
    ),
    "morris-acanthus-portiere.jpg": (
        "Un rideau de porte brodé d’après un dessin de Morris & Co. : l’arbre de vie, au fil."
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
