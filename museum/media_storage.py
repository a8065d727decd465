"""Media on S3-compatible object storage (AWS S3, MinIO, Ceph...), private object by object.

`PrivateS3Storage` is django-storages' S3 backend with two changes that keep the access control
of museum.media (issue #16) whole:

- `url(name)` is the site's own `/media/<name>`, never a bucket URL: every link the API, pages
  and exports hand out goes through the media view, which decides who may see the file.
- `signed_url(name)` is the short-lived presigned URL the media view redirects an authorised
  request to; `open_stream(name)` is the object's body for the view to stream instead.

Objects are written with a private ACL (or none, for buckets whose ACLs are disabled), never
overwritten (a taken name gets a suffix, as on the filesystem), and unsigned or public
settings are refused at start: nothing in the bucket is readable without a signature.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

# Canned ACLs that keep an object private; "" writes none (buckets with ACLs disabled).
PRIVATE_ACLS = frozenset({"private", "bucket-owner-full-control", ""})


class PrivateS3Storage(S3Storage):  # type: ignore[misc]  # django-storages is untyped
    """S3Storage for private media: links go to the media view, reads are signed (module doc)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        if not self.querystring_auth or self.custom_domain:
            raise ImproperlyConfigured(
                "Media on S3 must be read through signed URLs: querystring_auth stays on and "
                "no custom_domain (an unsigned public URL) is allowed."
            )
        if (self.default_acl or "") not in PRIVATE_ACLS:
            raise ImproperlyConfigured(
                f"MOUSEION_S3_ACL={self.default_acl!r} would make media public; use one of "
                f"{sorted(PRIVATE_ACLS)}."
            )

    def url(
        self,
        name: str | None,
        parameters: dict[str, str] | None = None,
        expire: int | None = None,
        http_method: str | None = None,
    ) -> str:
        """The site's `/media/<name>`: the media view checks the reader, then redirects."""
        return urljoin(settings.MEDIA_URL, filepath_to_uri(clean_name(name or "")))

    def signed_url(self, name: str, *, content_type: str, expire: int | None = None) -> str:
        """A presigned GET of the object, valid `expire` seconds (querystring_expire by
        default), answered with `content_type` whatever the object was stored with."""
        return super().url(name, parameters={"ResponseContentType": content_type}, expire=expire)

    def open_stream(self, name: str) -> tuple[Any, int]:
        """The object's body as a readable stream (botocore's StreamingBody) and its length;
        FileNotFoundError for a missing object. Nothing is spooled to memory or disk."""
        key = self._normalize_name(clean_name(name))
        try:
            answer = self.bucket.Object(key).get()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(name) from error
            raise
        return answer["Body"], int(answer["ContentLength"])
