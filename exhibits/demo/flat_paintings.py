"""The demo's paintings (exhibits/demo/flat_works.py)."""

from __future__ import annotations

from exhibits.demo.flat_types import COMMONS, DemoFlatWork, DemoRegion, record

PAINTINGS: list[DemoFlatWork] = [
    DemoFlatWork(
        filename="van-eyck-arnolfini-portrait.jpg",
        record={
            **record(
                1,
                "The Arnolfini Portrait",
                "Jan van Eyck",
                "1434",
                (1434, 1434),
                "Original: National Gallery, London",
            ),
            "classification": "painting",
            "object_name": "panel painting",
            "materials": "oil on oak panel",
            "dimensions": "82.2 × 60 cm",
            "description": (
                "A man and a woman stand hand in hand in a furnished room in Bruges: a brass "
                "chandelier with one lit candle, oranges on the window sill, a small dog at "
                "their feet. On the back wall a convex mirror reflects the room and two more "
                "figures in the doorway, and above it the painter wrote 'Johannes de eyck fuit "
                "hic 1434' (Jan van Eyck was here)."
            ),
            "attribution": (
                "Jan van Eyck, The Arnolfini Portrait (1434), National Gallery, London; image: "
                "National Gallery, London via Wikimedia Commons."
            ),
            "source_url": COMMONS + "3/33/Van_Eyck_-_Arnolfini_Portrait.jpg",
        },
        room="f1",
        label=(
            "Van Eyck signs the wall like a witness: 'Jan van Eyck was here'. The convex mirror "
            "below shows the couple from behind and two visitors entering the room."
        ),
        regions=[
            DemoRegion(
                "The convex mirror",
                "The mirror shows the couple from behind and two figures in the doorway, one "
                "perhaps the painter. Its frame holds ten small scenes of the Passion.",
                (335, 258, 140, 135),
            ),
            DemoRegion(
                "The signature",
                "'Johannes de eyck fuit hic 1434': written in ornate script on the wall, as a "
                "witness would sign a document.",
                (325, 195, 160, 75),
            ),
        ],
        width_cm=60.0,
        height_cm=82.2,
    ),
    DemoFlatWork(
        filename="botticelli-birth-of-venus.jpg",
        record={
            **record(
                2,
                "The Birth of Venus",
                "Sandro Botticelli",
                "1485",
                (1485, 1485),
                "Original: Uffizi Gallery, Florence",
            ),
            "classification": "painting",
            "object_name": "painting",
            "materials": "tempera on canvas",
            "dimensions": "172.5 × 278.5 cm",
            "description": (
                "Venus, born of the sea foam, arrives at the shore standing on a "
                "scallop shell. The winds blow her in from the left among falling roses; on "
                "the right a woman waits with a flowered cloak to cover her."
            ),
            "attribution": (
                "Sandro Botticelli, The Birth of Venus (1485), Uffizi Gallery, Florence; image: "
                "Google Art Project / Uffizi Gallery via Wikimedia Commons."
            ),
        },
        room="f1",
        label=(
            "Venus, born of the sea, blown ashore on a shell. Botticelli's Florence read the "
            "ancient myth as an image of beauty that raises the mind."
        ),
        width_cm=278.5,
        height_cm=172.5,
    ),
    DemoFlatWork(
        filename="leonardo-last-supper.jpg",
        record={
            **record(
                3,
                "The Last Supper",
                "Leonardo da Vinci",
                "1498",
                (1498, 1498),
                "Original: Santa Maria delle Grazie, Milan",
            ),
            "classification": "painting",
            "object_name": "wall painting",
            "description": (
                "Christ sits at the centre of a long table with the twelve apostles grouped in "
                "threes, at the moment he says that one of them will betray him. The room's "
                "lines converge on his head. Painted on the wall of the refectory of Santa "
                "Maria delle Grazie in Milan; the surface is much damaged and restored."
            ),
            "attribution": (
                "Leonardo da Vinci, The Last Supper (1498), Santa Maria delle Grazie, Milan; "
                "image: Santa Maria delle Grazie via Wikimedia Commons."
            ),
        },
        room="f1",
        label=(
            "A wall painting, shown here as an image: the apostles react in groups of three to "
            "Christ's words that one of them will betray him."
        ),
    ),
    DemoFlatWork(
        filename="rembrandt-night-watch.jpg",
        record={
            **record(
                4,
                "The Night Watch",
                "Rembrandt",
                "1642",
                (1642, 1642),
                "Original: Rijksmuseum, Amsterdam",
            ),
            "classification": "painting",
            "object_name": "group portrait",
            "materials": "oil on canvas",
            "description": (
                "A company of Amsterdam's civic guard sets out: the captain in black with a "
                "red sash gives an order to his lieutenant in pale yellow, while musketeers, "
                "a drummer and a flag bearer move around them. A girl in gold, lit like the "
                "officers, carries a chicken at her waist."
            ),
            "attribution": (
                "Rembrandt, The Night Watch (1642), Rijksmuseum, Amsterdam; image: Rijksmuseum "
                "via Wikimedia Commons."
            ),
        },
        room="f1",
        label=(
            "A group portrait that moves. Rembrandt lit two officers and a small girl in gold; "
            "the dark varnish that later covered it gave the painting its name."
        ),
        regions=[
            DemoRegion(
                "The girl in gold",
                "Lit as brightly as the officers, she carries a chicken at her belt: its claws "
                "were the emblem of the company, the arquebusiers.",
                (330, 600, 140, 300),
            ),
        ],
    ),
    DemoFlatWork(
        filename="velazquez-las-meninas.jpg",
        record={
            **record(
                5,
                "Las Meninas",
                "Diego Velázquez",
                "1656",
                (1656, 1656),
                "Original: Museo del Prado, Madrid",
            ),
            "classification": "painting",
            "object_name": "painting",
            "materials": "oil on canvas",
            "description": (
                "The young princess Margarita stands among her maids of honour, a chaperone, "
                "dwarfs and a dog in a room of the palace in Madrid. On the left the painter "
                "himself looks out from behind a large canvas; in the mirror at the back "
                "appear the king and queen, standing where the viewer stands."
            ),
            "attribution": (
                "Diego Velázquez, Las Meninas (1656), Museo del Prado, Madrid; image: Google Art "
                "Project / Museo del Prado via Wikimedia Commons."
            ),
            "source_url": COMMONS
            + "3/31/Las_Meninas%2C_by_Diego_Vel%C3%A1zquez%2C_from_Prado_in_Google_Earth.jpg",
        },
        room="f1",
        label=(
            "Who is being painted? The painter looks at us, and the mirror at the back answers: "
            "the king and queen, standing where we stand."
        ),
        regions=[
            DemoRegion(
                "The mirror",
                "King Philip IV and Queen Mariana, reflected: the painting's subject, or its "
                "audience, standing outside the picture.",
                (305, 478, 60, 80),
            ),
            DemoRegion(
                "The painter",
                "Velázquez with brush and palette, the red cross of the Order of Santiago on "
                "his chest.",
                (140, 455, 120, 160),
            ),
        ],
    ),
    DemoFlatWork(
        filename="vermeer-girl-with-a-pearl-earring.jpg",
        record={
            **record(
                6,
                "Girl with a Pearl Earring",
                "Johannes Vermeer",
                "1665",
                (1665, 1665),
                "Original: Mauritshuis, The Hague",
            ),
            "classification": "painting",
            "object_name": "tronie",
            "materials": "oil on canvas",
            "dimensions": "44.5 × 39 cm",
            "description": (
                "A girl in a blue and yellow turban turns towards us against a dark ground, "
                "lips parted. A large pearl hangs from her ear. Fine cracks in the paint cover "
                "the whole surface."
            ),
            "attribution": (
                "Johannes Vermeer, Girl with a Pearl Earring (1665), Mauritshuis, The Hague; "
                "image: Mauritshuis via Wikimedia Commons."
            ),
        },
        room="f1",
        label=(
            "Not a portrait of anyone known but a study of a face, a turban and light. The "
            "pearl is a few strokes of paint: one bright highlight and a reflection below."
        ),
        regions=[
            DemoRegion(
                "The pearl",
                "Zoom in: the pearl is a thin grey glaze, one white highlight above and the "
                "white collar's reflection below. No outline at all.",
                (465, 485, 70, 70),
            ),
        ],
        width_cm=39.0,
        height_cm=44.5,
    ),
    DemoFlatWork(
        filename="van-gogh-starry-night.jpg",
        record={
            **record(
                7,
                "The Starry Night",
                "Vincent van Gogh",
                "1889",
                (1889, 1889),
                "Original: Museum of Modern Art, New York",
            ),
            "classification": "painting",
            "object_name": "painting",
            "materials": "oil on canvas",
            "dimensions": "73.7 × 92.1 cm",
            "description": (
                "A night sky of swirling wind, eleven stars and a crescent moon over a village "
                "with a church spire, seen past a dark cypress that rises like a flame in the "
                "foreground. The paint is laid on in short, thick strokes."
            ),
            "attribution": (
                "Vincent van Gogh, The Starry Night (1889), MoMA, New York; image: Google Art "
                "Project / MoMA via Wikimedia Commons."
            ),
        },
        room="f2",
        label=(
            "Painted at the asylum of Saint-Rémy from the view of his window and from memory: "
            "the sky moves, the village sleeps."
        ),
        regions=[
            DemoRegion(
                "The moon",
                "A crescent moon inside a halo of yellow and white strokes laid around it in "
                "rings.",
                (1070, 80, 190, 190),
            ),
            DemoRegion(
                "The swirl",
                "Two spirals of wind roll across the middle of the sky, built of short strokes "
                "of light and dark blue.",
                (470, 230, 360, 260),
            ),
        ],
        width_cm=92.1,
        height_cm=73.7,
    ),
    DemoFlatWork(
        filename="munch-scream.jpg",
        record={
            **record(
                8,
                "The Scream",
                "Edvard Munch",
                "1893",
                (1893, 1893),
                "Original: National Gallery of Norway, Oslo",
            ),
            "classification": "painting",
            "object_name": "painting",
            "materials": "oil, tempera and pastel on cardboard",
            "dimensions": "91 × 73 cm",
            "description": (
                "A figure on a bridge clasps its head under a blood-red sky, the fjord and the "
                "hills bending into the same curves. Two figures walk away behind."
            ),
            "attribution": (
                "Edvard Munch, The Scream (1893), National Gallery, Oslo; image: National "
                "Gallery of Norway via Wikimedia Commons."
            ),
            "source_url": COMMONS
            + "c/c5/Edvard_Munch%2C_1893%2C_The_Scream%2C_oil%2C_tempera_and_pastel_on_"
            "cardboard%2C_91_x_73_cm%2C_National_Gallery_of_Norway.jpg",
        },
        room="f2",
        label=(
            "Munch wrote of a walk at sunset when he felt 'an infinite scream passing through "
            "nature'. The picture is painted on cardboard with oil, tempera and pastel."
        ),
        width_cm=73.0,
        height_cm=91.0,
    ),
    DemoFlatWork(
        filename="kandinsky-composition-viii.jpg",
        record={
            **record(
                9,
                "Composition VIII",
                "Wassily Kandinsky",
                "1923",
                (1923, 1923),
                "Original: Solomon R. Guggenheim Museum, New York",
            ),
            "classification": "painting",
            "object_name": "painting",
            "materials": "oil on canvas",
            "dimensions": "140 × 201 cm",
            "description": (
                "Circles, triangles, lines and grids float on a pale ground: a large black and "
                "violet circle at the upper left, crossing diagonals and small checkerboards "
                "below. Nothing is represented; the forms are arranged like a musical score."
            ),
            "attribution": (
                "Wassily Kandinsky, Composition VIII (1923), Guggenheim Museum, New York; "
                "image: Guggenheim Museum via Wikimedia Commons."
            ),
            "source_url": COMMONS
            + "4/40/Vassily_Kandinsky%2C_1923_-_Composition_8%2C_huile_sur_toile%2C_140_cm_x_"
            "201_cm%2C_Mus%C3%A9e_Guggenheim%2C_New_York.jpg",
        },
        room="f2",
        label=(
            "Painted while Kandinsky taught at the Bauhaus: geometry instead of the landscape, "
            "arranged as a composer arranges sounds."
        ),
        width_cm=201.0,
        height_cm=140.0,
    ),
]
