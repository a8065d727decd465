"""ASGI entry point: HTTP through Django; websockets through Channels, Origin-checked."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "museum.settings")

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from museum.http_guard import RequestRateGuard  # noqa: E402
from museum.routing import websocket_urlpatterns  # noqa: E402
from museum.uploads import BodySizeLimit  # noqa: E402

application = ProtocolTypeRouter(
    {
        # A flood from one address is refused before Django (museum/http_guard.py); bodies over
        # their cap before Django spools them (museum/uploads.py).
        "http": RequestRateGuard(BodySizeLimit(django_asgi_app)),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
