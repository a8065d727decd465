"""The demo's prints, design drawing and textiles (exhibits/demo/flat_works.py)."""

from __future__ import annotations

from exhibits.demo.flat_types import DemoFlatWork, DemoRegion, record

PRINTS_AND_TEXTILES: list[DemoFlatWork] = [
    DemoFlatWork(
        filename="mucha-job.jpg",
        record={
            **record(
                10,
                "Job",
                "Alphonse Mucha",
                "1896",
                (1896, 1896),
                "Image: WikiArt, via dactylroot/nouveau",
            ),
            "classification": "print",
            "object_name": "poster",
            "materials": "colour lithograph",
            "description": (
                "A poster for JOB cigarette papers: a woman with closed eyes holds a lit "
                "cigarette, its smoke curling up behind the large monogram JOB, while her hair "
                "spreads in whiplash curves over the whole sheet, inside a mosaic border."
            ),
            "attribution": (
                'Alphonse Mucha (1860-1939), "Job" (1896); image via dactylroot/nouveau '
                "(originally from WikiArt)."
            ),
        },
        room="f2",
        label=(
            "An advertisement for cigarette papers that became one of the images of Art "
            "Nouveau: the hair does the work of the ornament."
        ),
        regions=[
            DemoRegion(
                "The monogram",
                "The brand name as architecture: J, O and B built of green bars, the woman's "
                "head set into the O.",
                (110, 110, 990, 460),
            ),
            DemoRegion(
                "The printer's name",
                "'F. Champenois, Paris', the lithographic printer who printed Mucha's posters "
                "and panels in these years.",
                (85, 1440, 110, 60),
            ),
        ],
    ),
    DemoFlatWork(
        filename="mucha-lorenzaccio.jpg",
        record={
            **record(
                11,
                "Lorenzaccio",
                "Alphonse Mucha",
                "1896",
                (1896, 1896),
                "Image: WikiArt, via dactylroot/nouveau",
            ),
            "classification": "print",
            "object_name": "poster",
            "materials": "colour lithograph",
            "description": (
                "A tall theatre poster for Alfred de Musset's play Lorenzaccio at the Théâtre "
                "de la Renaissance, with Sarah Bernhardt in the title role: Lorenzo de' Medici "
                "in black, brooding, under a dragon that grips a coat of arms."
            ),
            "attribution": (
                'Alphonse Mucha (1860-1939), "Lorenzaccio" (1896); image via dactylroot/nouveau '
                "(originally from WikiArt)."
            ),
        },
        room="f2",
        label=(
            "Sarah Bernhardt as a young man, the Florentine Lorenzo: one of the tall, narrow "
            "posters Mucha designed for her theatre."
        ),
    ),
    DemoFlatWork(
        filename="mucha-zodiac.jpg",
        record={
            **record(
                12,
                "Zodiac",
                "Alphonse Mucha",
                "1896",
                (1896, 1896),
                "Image: WikiArt, via dactylroot/nouveau",
            ),
            "classification": "print",
            "object_name": "calendar",
            "materials": "colour lithograph",
            "description": (
                "A woman in profile wearing a jewelled headdress, framed by a halo that carries "
                "the twelve signs of the zodiac, above a panel of twelve empty columns at the "
                "foot of the sheet."
            ),
            "attribution": (
                'Alphonse Mucha (1860-1939), "Zodiac" (1896); image via dactylroot/nouveau '
                "(originally from WikiArt)."
            ),
        },
        room="f3",
        label="The twelve signs of the zodiac ring a profile: a calendar design.",
        regions=[
            DemoRegion(
                "The zodiac",
                "The signs of the year in small roundels around the head: the ram, the bull, "
                "the scales, the scorpion and the others.",
                (95, 100, 450, 430),
            ),
        ],
    ),
    DemoFlatWork(
        filename="mucha-the-seasons.jpg",
        record={
            **record(
                13,
                "The Seasons",
                "Alphonse Mucha",
                "1897",
                (1897, 1897),
                "Image: WikiArt, via dactylroot/nouveau",
            ),
            "classification": "print",
            "object_name": "decorative panels",
            "materials": "colour lithograph",
            "description": (
                "Four young women personify the seasons, each in her own arched frame: spring "
                "among blossom on the left, summer and autumn with flowers and fruit, and "
                "winter wrapped in a cloak in the snow on the right."
            ),
            "attribution": (
                'Alphonse Mucha (1860-1939), "The Seasons" (1897); image via dactylroot/nouveau '
                "(originally from WikiArt)."
            ),
        },
        room="f3",
        label=(
            "Decorative panels, sold to be framed and hung at home: Art Nouveau for the "
            "price of a print."
        ),
    ),
    DemoFlatWork(
        filename="morris-strawberry-thief.jpg",
        record={
            **record(
                14,
                "Strawberry Thief",
                "Morris & Co. (William Morris workshop)",
                "1883",
                (1883, 1883),
                "Image: WikiArt, via dactylroot/nouveau",
            ),
            "classification": "textile design",
            "object_name": "furnishing fabric",
            "materials": "printed cotton",
            "description": (
                "A repeating pattern of thrushes with strawberries in their beaks, set in "
                "mirror-image pairs among flowers and leaves on a deep blue ground. The firm's "
                "Oxford Street address is printed along the selvedge."
            ),
            "attribution": (
                'Morris & Co. / William Morris workshop (Morris d. 1896), "Strawberry Thief" '
                "(1883); image via dactylroot/nouveau (originally from WikiArt)."
            ),
        },
        room="f3",
        label=(
            "Thrushes stealing strawberries, a scene from Morris's own garden, turned into a "
            "pattern that repeats in mirror image."
        ),
        regions=[
            DemoRegion(
                "A thrush",
                "One of the thieves, speckled breast and red wing, with a strawberry stalk in "
                "its beak.",
                (265, 290, 120, 100),
            ),
            DemoRegion(
                "The selvedge",
                "The edge of the cloth carries the firm's address in Oxford Street, London: a "
                "printed textile, sold by the yard.",
                (735, 380, 33, 292),
            ),
        ],
    ),
    DemoFlatWork(
        filename="morris-wreath.jpg",
        record={
            **record(
                15,
                "Wreath",
                "Morris & Co. (William Morris workshop)",
                "1876",
                (1876, 1876),
                "Image: WikiArt, via dactylroot/nouveau",
            ),
            "classification": "design drawing",
            "object_name": "pattern design",
            "description": (
                "A working design for a repeating pattern: one repeat of leaves and flowers "
                "coloured in blue, pink and greens, the rest left in pencil outline. Pencil "
                "notes at the upper left list colourways of the pattern."
            ),
            "attribution": (
                'Morris & Co. / William Morris workshop (Morris d. 1896), "Wreath" (1876); image '
                "via dactylroot/nouveau (originally from WikiArt)."
            ),
        },
        room="f3",
        label=(
            "A design in progress: one repeat coloured, the rest in outline, and notes on "
            "how the colourways should differ."
        ),
        regions=[
            DemoRegion(
                "Colourway notes",
                "Notes in pencil for the makers: colourway D 'same as C but all flowers in "
                "faint blue', F on a light ground with blue flowers.",
                (10, 0, 160, 235),
            ),
        ],
    ),
    DemoFlatWork(
        filename="morris-acanthus-portiere.jpg",
        record={
            **record(
                16,
                "Acanthus Portière",
                "Morris & Co. (William Morris workshop)",
                "1890",
                (1890, 1890),
                "Image: WikiArt, via dactylroot/nouveau",
            ),
            "classification": "textile",
            "object_name": "portière (door curtain)",
            "description": (
                "An embroidered door curtain: a trunk with twisting branches of acanthus "
                "leaves, pomegranates, tulips and small flowers worked in coloured thread on a "
                "pale ground, the stitches visible when you zoom in."
            ),
            "attribution": (
                'Morris & Co. / William Morris workshop (Morris d. 1896), "Acanthus Portiere" '
                "(1890); image via dactylroot/nouveau (originally from WikiArt)."
            ),
        },
        room="f3",
        label=(
            "A curtain to hang in a doorway, embroidered to a Morris & Co. design: the tree of "
            "life in thread."
        ),
    ),
]
