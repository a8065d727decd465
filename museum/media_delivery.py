"""The answer to an authorised request for a stored file, one rule for the media view
(museum.media) and the IIIF tiles (exhibits.imaging.iiif_views): a redirect to a short-lived
presigned URL (object storage, MOUSEION_MEDIA_DELIVERY=redirect), X-Accel-Redirect to nginx (local
files, MOUSEION_MEDIA_ACCEL_PREFIX set), else the bytes streamed by Django. Who may see the file
is the caller's question, asked before."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase, HttpResponseRedirect


def deliver(
    storage: Storage,
    name: str,
    content_type: str,
    *,
    safe: str = "/",
    missing: str = "No such file.",
) -> HttpResponseBase:
    """`name` from `storage` (module doc); `safe`: characters left unquoted in nginx's internal
    URI (tiles keep the commas of their IIIF region); `missing`: the 404's text."""
    signed_url = getattr(storage, "signed_url", None)  # museum.media_storage.PrivateS3Storage
    if signed_url is not None and settings.MOUSEION_MEDIA_DELIVERY == "redirect":
        return HttpResponseRedirect(signed_url(name, content_type=content_type))
    prefix = getattr(settings, "MOUSEION_MEDIA_ACCEL_PREFIX", "")
    if prefix and isinstance(storage, FileSystemStorage):
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(name, safe=safe)
        return response
    try:
        if (open_stream := getattr(storage, "open_stream", None)) is not None:
            body, length = open_stream(name)
            streamed = FileResponse(body, content_type=content_type)
            streamed["Content-Length"] = str(length)
            return streamed
        return FileResponse(storage.open(name, "rb"), content_type=content_type)
    except FileNotFoundError:
        raise Http404(missing) from None
