"""The demo museum: three CC0 scans, their catalogue records, annotations and an exhibition.

Annotation points are found on the mesh itself: each is the vertex furthest along `direction`
among the vertices inside an optional height band, so they sit on the surface whatever the
file's units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class DemoAnnotation:
    title: str
    text: str
    direction: tuple[float, float, float]
    height_band: tuple[float, float] = (0.0, 1.0)  # fraction of the model's height (Y)


@dataclass(frozen=True)
class DemoArtifact:
    filename: str
    record: dict[str, object]
    annotations: list[DemoAnnotation] = field(default_factory=list)


EXHIBITION = {
    "slug": "shapes-of-time",
    "title": "Shapes of Time",
    "introduction": (
        "Three scanned objects from three collections: a whale's skull, a plaster cast of a "
        "Hellenistic goddess and a jazz musician's saxophone. Turn each one around, follow its "
        "annotations and look closely at how age and use have marked it."
    ),
}

# Wall labels of the exhibition, by object number (searchable like every label).
EXHIBITION_LABELS = {
    "USNM VZ 20957": (
        "A pilot whale's skull: the broad, short snout carried the melon, the fatty organ these "
        "oceanic dolphins use to focus the clicks they hunt by."
    ),
    "SMK-CAST-VENUS-DE-MILO": (
        "The goddess Aphrodite, whom the Romans called Venus, in a plaster cast of the marble "
        "found on Milos. Casts like this one let art students draw the statue without a journey."
    ),
    "NMAH-PARKER-ALTO-SAXOPHONE": (
        "Charlie Parker's alto saxophone. Its worn keys are the traces of the fast bebop lines "
        "he played night after night."
    ),
}

# The same texts in French, stored as their translations (served to visitors who read French).
EXHIBITION_FR = {
    "introduction": (
        "Trois objets numérisés venus de trois collections : le crâne d’une baleine, le moulage "
        "en plâtre d’une déesse hellénistique et le saxophone d’un musicien de jazz. Faites "
        "tourner chacun d’eux, suivez ses annotations et observez de près comment le temps et "
        "l’usage l’ont marqué."
    ),
}
EXHIBITION_LABELS_FR = {
    "USNM VZ 20957": (
        "Crâne de globicéphale : le museau large et court portait le melon, l’organe graisseux "
        "dont ces dauphins océaniques se servent pour concentrer les clics qui guident leur "
        "chasse."
    ),
    "SMK-CAST-VENUS-DE-MILO": (
        "La déesse Aphrodite, que les Romains appelaient Vénus, dans un moulage en plâtre du "
        "marbre découvert à Milo. De tels moulages permettaient aux élèves des beaux-arts de "
        "dessiner la statue sans entreprendre le voyage."
    ),
    "NMAH-PARKER-ALTO-SAXOPHONE": (
        "Le saxophone alto de Charlie Parker. Ses clés usées gardent la trace des phrases bebop "
        "rapides qu’il jouait soir après soir."
    ),
}

DEMO_ARTIFACTS: list[DemoArtifact] = [
    DemoArtifact(
        filename="whale_cranium_draco.glb",
        record={
            "object_number": "USNM VZ 20957",
            "title": "Pilot whale cranium",
            "object_name": "cranium",
            "classification": "Natural history specimen",
            "culture": "",
            "date_text": "undated specimen",
            "materials": "bone",
            "maker": "",
            "credit_line": "Smithsonian Institution, National Museum of Natural History",
            "rights": "CC0 1.0 (3D scan)",
            "attribution": "3D scan: Smithsonian 3D Digitization (CC0), via the IIIF 3D group.",
            "description": (
                "The skull of a pilot whale (Globicephala), a large oceanic dolphin. The short, "
                "broad rostrum and the rounded braincase are typical of the genus."
            ),
        },
        annotations=[
            DemoAnnotation(
                "Rostrum",
                "The snout. In pilot whales it is short and broad, supporting the bulbous melon.",
                (0.0, 0.0, 1.0),
            ),
            DemoAnnotation(
                "Braincase",
                "The rounded back of the skull that housed the brain.",
                (0.0, 0.3, -1.0),
            ),
            DemoAnnotation(
                "Upper surface",
                "Bone texture and small losses are visible on the dorsal surface of the scan.",
                (0.0, 1.0, 0.0),
            ),
        ],
    ),
    DemoArtifact(
        filename="venus.glb",
        record={
            "object_number": "SMK-CAST-VENUS-DE-MILO",
            "title": "Venus de Milo (plaster cast)",
            "object_name": "cast",
            "classification": "Sculpture cast",
            "culture": "Hellenistic Greek (original)",
            "date_text": "cast after an original of about 150–125 BCE",
            "date_start_year": -150,
            "date_end_year": -125,
            "materials": "plaster",
            "maker": "After an unknown Hellenistic sculptor",
            "credit_line": "SMK – National Gallery of Denmark, Royal Cast Collection",
            "rights": "CC0 1.0",
            "attribution": (
                "3D scan: SMK – National Gallery of Denmark (CC0), via the IIIF 3D group."
            ),
            "description": (
                "A full-size plaster cast of the marble statue found on the island of Milos in "
                "1820, now in the Louvre. The arms were already lost when it was found."
            ),
        },
        annotations=[
            DemoAnnotation(
                "Head",
                "The head, carved separately in the marble original.",
                (0.0, 0.3, 1.0),  # the face: the front of the top of the statue
                (0.88, 1.0),
            ),
            DemoAnnotation(
                "Lost arm",
                "The break at the shoulder: how the arms were posed is still debated.",
                (1.0, 0.0, 0.0),
                (0.6, 0.75),
            ),
            DemoAnnotation(
                "Drapery",
                "The himation slipping from the hips, carved with deep folds.",
                (0.0, 0.0, 1.0),
                (0.3, 0.5),
            ),
        ],
    ),
    DemoArtifact(
        filename="saxophone_draco.glb",
        record={
            "object_number": "NMAH-PARKER-ALTO-SAXOPHONE",
            "title": "Charlie Parker's alto saxophone",
            "object_name": "alto saxophone",
            "classification": "Musical instrument",
            "culture": "American",
            "date_text": "20th century",
            "date_start_year": 1901,
            "date_end_year": 2000,
            "materials": "brass, mother-of-pearl",
            "maker": "",
            "credit_line": "Smithsonian Institution, National Museum of American History",
            "rights": "CC0 1.0 (3D scan)",
            "attribution": "3D scan: Smithsonian 3D Digitization (CC0), via the IIIF 3D group.",
            "description": (
                "An alto saxophone played by the jazz saxophonist Charlie Parker (1920–1955), "
                "one of the creators of bebop."
            ),
        },
        annotations=[
            DemoAnnotation(
                "Bell",
                "The flared bell, where the sound leaves the instrument.",
                (-1.0, 0.2, 0.0),  # the bell's rim flares out on the side away from the neck
                (0.1, 0.5),
            ),
            DemoAnnotation(
                "Neck", "The neck, which carried the mouthpiece and reed.", (0.0, 1.0, 0.0)
            ),
            DemoAnnotation(
                "Key work",
                "Pads and keys: wear on these shows how much an instrument was played.",
                (0.0, 0.0, 1.0),
                (0.4, 0.7),
            ),
        ],
    ),
]
