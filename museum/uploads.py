"""Upload limits and safe file writes.

A request body is refused with 413 as soon as it passes its cap, before the rest is read:
- `BodySizeLimit` (ASGI, wraps Django in museum/asgi.py) refuses by Content-Length before
  reading anything and counts the bytes of a body sent without one; Django spools the body to
  a temporary file before any upload handler runs, so this is where an ASGI upload stops early.
- `UploadLimitHandler` (first of FILE_UPLOAD_HANDLERS) caps each file of a multipart body as it
  is parsed (any server, the test client, PUT/PATCH through DRF's parser) and removes the
  partial temporary file; `UploadLimitMiddleware` turns its refusal into the 413 answer before
  CSRF reads the form.
Caps: a view's `max_upload_bytes` (class attribute, or `@upload_limit(...)` on a function view),
else MOUSEION_MAX_UPLOAD_BYTES per file, plus MULTIPART_ALLOWANCE for the form around it; a body
that is not multipart may hold DATA_UPLOAD_MAX_MEMORY_SIZE bytes.

`stored_first` writes a file to storage outside any database transaction (on SQLite the write
lock would otherwise be held for the whole copy) and removes it if the write or the rows fail.
"""

from __future__ import annotations

import errno
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.base import File
from django.core.files.uploadhandler import FileUploadHandler
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from museum.common.errors import error_body, send_json_error

# Room for the form fields and the multipart framing around the file(s) of an upload.
MULTIPART_ALLOWANCE = 1024 * 1024
FULL_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT}

View = TypeVar("View", bound=Callable[..., Any])
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


class UploadTooLarge(Exception):
    """A request body or an uploaded file passed its cap."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            _("The upload is too large; the limit is %(limit)d bytes.") % {"limit": limit}
        )


class StorageFull(Exception):
    """The disk (or quota) holding the media is full: nothing was stored."""

    def __init__(self) -> None:
        super().__init__(_("The server's storage is full; nothing was stored. Try again later."))


def too_large_response(exc: UploadTooLarge) -> HttpResponse:
    return JsonResponse(error_body("too_large", str(exc)), status=413)


def storage_full_response(exc: StorageFull) -> HttpResponse:
    return JsonResponse(error_body("storage_full", str(exc)), status=507)


def upload_limit(max_bytes: int) -> Callable[[View], View]:
    """Give a function view its own per-file upload cap."""

    def decorate(view: View) -> View:
        view.max_upload_bytes = max_bytes  # type: ignore[attr-defined]
        return view

    return decorate


def view_upload_limit(view: Callable[..., Any] | None) -> int:
    """The per-file cap of a view: its `max_upload_bytes` (on the function, or the class of a
    class-based or DRF view), else MOUSEION_MAX_UPLOAD_BYTES."""
    for owner in (view, getattr(view, "view_class", None), getattr(view, "cls", None)):
        limit = getattr(owner, "max_upload_bytes", None)
        if limit is not None:
            return int(limit)
    return int(settings.MOUSEION_MAX_UPLOAD_BYTES)


def path_upload_limit(path_info: str) -> int:
    try:
        return view_upload_limit(resolve(path_info).func)
    except Resolver404:
        return int(settings.MOUSEION_MAX_UPLOAD_BYTES)


def body_limit(path_info: str, content_type: str) -> int:
    """The most bytes a request body to `path_info` may hold."""
    if content_type.lower().startswith("multipart/form-data"):
        return path_upload_limit(path_info) + MULTIPART_ALLOWANCE
    if settings.DATA_UPLOAD_MAX_MEMORY_SIZE is None:
        return int(settings.MOUSEION_MAX_UPLOAD_BYTES) + MULTIPART_ALLOWANCE
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


class UploadLimitHandler(FileUploadHandler):
    """Counts each uploaded file's bytes and refuses past the view's cap; listed first in
    FILE_UPLOAD_HANDLERS, so the handlers after it (memory, temporary file) never receive more
    than the cap, and their partial file is removed on refusal."""

    limit = 0
    received = 0

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        request = self.request
        match = getattr(request, "resolver_match", None)
        if match is not None:
            self.limit = view_upload_limit(match.func)
        else:
            self.limit = path_upload_limit(getattr(request, "path_info", "/"))
        if content_length > self.limit + MULTIPART_ALLOWANCE:
            raise UploadTooLarge(self.limit)  # nothing of the body was read

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            for handler in getattr(self.request, "upload_handlers", []):
                handler.upload_interrupted()  # the temporary file handler deletes its file
            raise UploadTooLarge(self.limit)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler builds the file


class UploadLimitMiddleware:
    """Parses a multipart POST through the upload handlers before CSRF reads the form (which
    would turn a refusal into a 500), answering 413 for an upload over its cap; answers 507 when
    a view's write met a full disk. Place it before CsrfViewMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if request.method == "POST" and request.content_type == "multipart/form-data":
            try:
                request.POST  # noqa: B018  # parse now, through UploadLimitHandler
            except UploadTooLarge as exc:
                return too_large_response(exc)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, UploadTooLarge):
            return too_large_response(exception)
        if isinstance(exception, StorageFull):
            return storage_full_response(exception)
        return None


class BodySizeLimit:
    """ASGI middleware: refuse an HTTP request body over `body_limit` with 413 before Django
    reads (and spools) it: by Content-Length before any byte is read, else by counting. Django
    is then told the client went away, so it answers nothing and closes its spool file."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        path_info = scope["path"].removeprefix(scope.get("root_path", "")) or "/"
        limit = body_limit(path_info, content_type)
        declared = headers.get(b"content-length", b"").strip()
        if declared.isdigit() and int(declared) > limit:
            await _send_too_large(send, limit)
            return
        received, refused = 0, False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    await _send_too_large(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, limited_receive, guarded_send)


async def _send_too_large(send: Callable[[Message], Awaitable[None]], limit: int) -> None:
    message = str(UploadTooLarge(limit))
    headers = [(b"connection", b"close")]
    await send_json_error(send, status=413, code="too_large", message=message, headers=headers)


@contextmanager
def stored_first(field_file: FieldFile, filename: str, content: File) -> Iterator[str]:
    """Write `content` to storage under its final name now, outside any transaction; the
    with-block then creates the rows in one short transaction. If the write fails midway or the
    block raises, the (partial) file is deleted; a full disk becomes StorageFull."""
    field, storage = field_file.field, field_file.storage
    name = storage.get_available_name(
        field.generate_filename(field_file.instance, filename), max_length=field.max_length
    )
    written = ""
    try:
        written = storage.save(name, content, max_length=field.max_length)
        field_file.name = written
        field_file._committed = True  # type: ignore[attr-defined]  # as FieldFile.save does
        yield written
    except BaseException as exc:
        target = written or name
        if storage.exists(target):
            storage.delete(target)
        field_file.name = None
        if isinstance(exc, OSError) and exc.errno in FULL_DISK_ERRNOS:
            raise StorageFull() from exc
        raise
