"""Run by test_upload_limits on a migrated file SQLite (WAL, IMMEDIATE): one thread stores a
source whose copy takes 3 s while another commits a small write; prints the two durations."""

import json
import threading
import time

import django

django.setup()

from django.core.files.base import File  # noqa: E402
from django.db import connection  # noqa: E402

from exhibits.collection import services  # noqa: E402
from exhibits.models import Artifact  # noqa: E402
from tests.unit.factories import glb_bytes  # noqa: E402


class SlowFile(File):
    """A 3 MB upload read in 30 chunks, 0.1 s each."""

    def chunks(self, chunk_size=None):
        self.file.seek(0)
        while chunk := self.file.read(100_000):
            time.sleep(0.1)
            yield chunk


def main() -> None:
    import io

    artifact = Artifact.objects.create(object_number="LOCK-1", title="Lock")
    data = glb_bytes()
    upload = SlowFile(io.BytesIO(data + b"\0" * (3_000_000 - len(data))), name="slow.glb")
    figures = {}

    def copy() -> None:
        started = time.monotonic()
        services.add_source_asset(artifact=artifact, upload=upload, filename="slow.glb")
        figures["copy_s"] = time.monotonic() - started
        connection.close()

    copier = threading.Thread(target=copy)
    copier.start()
    time.sleep(0.5)  # the copy is under way
    started = time.monotonic()
    Artifact.objects.create(object_number="LOCK-2", title="Other writer")
    figures["other_write_s"] = time.monotonic() - started
    copier.join()
    print(json.dumps(figures))


main()
