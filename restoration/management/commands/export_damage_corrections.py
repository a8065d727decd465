"""`python manage.py export_damage_corrections OUT`: curators' corrected masks for fine-tuning.

Writes <name>.png (the texture) and <name>_<class>.png (white = damage) per corrected class,
the layout `train_damage --finetune --corrections OUT` reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from restoration.condition.services import export_corrections


class Command(BaseCommand):
    help = "Export the newest corrected damage mask per texture and class for train_damage."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("out", type=Path, help="Folder to write (created if missing).")

    def handle(self, *args: Any, **options: Any) -> None:
        written = export_corrections(out_dir=options["out"])
        masks = sum(1 for path in written if path.stem.count("_") == 2)  # a1_r2_crack
        self.stdout.write(f"{len(written)} files ({masks} corrected masks) in {options['out']}")
