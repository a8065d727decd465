"""Django settings, read from the environment (django-environ).

Defaults are the single-machine profile: SQLite (WAL) under var/, in-memory channel layer,
Celery on a persistent embedded (filesystem) broker. The scaled profile is switched on by
DATABASE_URL and REDIS_URL alone.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor  # type: ignore[import-untyped]

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "[::1]", "testserver"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

NODE_MODULES = BASE_DIR / "node_modules"
VAR_DIR = Path(env("MOUSEION_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env("DEBUG")
# The development key is only used when no SECRET_KEY is set, and only with DEBUG on: without
# DEBUG (the default, so production) the settings refuse to load with it, so no server, worker
# or management command starts. `make run` gives its processes a random key of the checkout
# (scripts/dev_secret_key.py), the test run a test key (tests/settings.py); the scaled stack
# and the deploy example set their own. Its "django-insecure-" prefix also makes
# `manage.py check --deploy` refuse it (security.W009).
DEVELOPMENT_SECRET_KEY = "django-insecure-mouseion-development-key-change-me-in-production"
SECRET_KEY = env("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
if SECRET_KEY == DEVELOPMENT_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set: the development key is refused when DEBUG is off. Set "
        "SECRET_KEY to 50 or more random characters (for example the output of "
        '`python -c "import secrets; print(secrets.token_urlsafe(50))"`), in the environment '
        "or in .env; only a development machine may run with DEBUG=true and no key."
    )
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Only for its translations: search's century facets use humanize's ordinal ("16e" in French).
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "museum",
    "exhibits",
    "restoration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, which reads the form: answers 413 for an upload over its cap (museum/uploads.py).
    "museum.uploads.UploadLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "museum.urls"
ASGI_APPLICATION = "museum.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'mouseion.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the busy timeout absorbs short locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        }
    )
    # Each thread keeps its connection (the views' thread, a live tour's database threads)
    # instead of opening one, with the PRAGMAs above, per request or tour action and closing it
    # after: that was about a tenth of a busy presence process's CPU in the #24 profile (a tour's
    # raised hands). Health checks replace a connection that broke.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("MOUSEION_SQLITE_CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: it refuses a locked-out username+address before any password is hashed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The language comes from the visitor's choice (the header's switcher: Django's set_language, kept
# in a cookie) or else the browser's Accept-Language (LocaleMiddleware); no prefixes in URLs, so
# every page, embed and API link stays one address. Catalogues: locale/<lang>/LC_MESSAGES.
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves from the finders; an empty root is fine
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "museum.staticfiles.VendorFileFinder",
]
# Front-end packages come from npm (package-lock.json) and are served locally: no CDN anywhere.
# Only the files pages load are served (museum.staticfiles.VendorFileFinder): three.js's build,
# the addons named in the import map (templates/includes/importmap.html), what those import,
# and the decoders.
XR_INPUT_PROFILES = (
    "generic-trigger",
    "generic-trigger-squeeze",
    "htc-vive",
    "meta-quest-touch-plus",
    "oculus-touch-v3",
    "valve-index",
)
MOUSEION_VENDOR_STATIC = {
    "vendor/three/build": (NODE_MODULES / "three" / "build", ["three.module.js", "three.core.js"]),
    "vendor/three/addons": (
        NODE_MODULES / "three" / "examples" / "jsm",
        [
            "controls/OrbitControls.js",
            "environments/RoomEnvironment.js",
            "loaders/DRACOLoader.js",
            "loaders/GLTFLoader.js",
            "utils/BufferGeometryUtils.js",
            "utils/SkeletonUtils.js",
            "libs/meshopt_decoder.module.js",
            "libs/draco/gltf/*",
            "webxr/XRControllerModelFactory.js",
            "libs/motion-controllers.module.js",  # three's copy of the npm package, 1.0.0
            "exporters/USDZExporter.js",
            "libs/fflate.module.js",
        ],
    ),
    # Controller models in VR (gallery-xr.js): a few WebXR input profiles, not the 90 MB package.
    # Their list, static/vendor/xr-input-profiles/profilesList.json, names only these, so another
    # controller falls back to generic-trigger instead of asking for a profile we do not serve.
    "vendor/xr-input-profiles": (
        NODE_MODULES / "@webxr-input-profiles" / "assets" / "dist" / "profiles",
        [f"{profile}/*" for profile in XR_INPUT_PROFILES],
    ),
    # The deep-zoom page of a flat work (templates/includes/flat_work_viewer.html): classic scripts
    # (OpenSeadragon ships no ES module; Annotorious's UMD build bundles its own dependencies and
    # reads the global OpenSeadragon). Source maps too: the hashed storage rewrites their names.
    "vendor/openseadragon": (
        NODE_MODULES / "openseadragon" / "build" / "openseadragon",
        ["openseadragon.min.js", "openseadragon.min.js.map"],
    ),
    "vendor/annotorious": (
        NODE_MODULES / "@annotorious" / "openseadragon" / "dist",
        [
            "annotorious-openseadragon.js",
            "annotorious-openseadragon.js.map",
            "annotorious-openseadragon.css",
        ],
    ),
    # The curators' visit analytics charts (admin/analytics/dashboard.html): Chart.js's UMD
    # build, a classic script with its colour helper bundled.
    "vendor/chartjs": (
        NODE_MODULES / "chart.js" / "dist",
        ["chart.umd.min.js", "chart.umd.min.js.map"],
    ),
}
# Production (MOUSEION_HASHED_STATIC=true, deploy/mouseion.env.example): `manage.py
# collectstatic` writes hashed copies and a manifest to STATIC_ROOT (museum/staticfiles.py);
# {% static %} names the hashed file, served with a one-year immutable cache, so an upgrade never
# leaves a browser on last week's JavaScript. Without it (`make run`, the tests) the sources are
# served straight from the finders and no collectstatic step is needed.
MOUSEION_HASHED_STATIC = env.bool("MOUSEION_HASHED_STATIC", default=False)
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "museum.staticfiles.HashedStaticFilesStorage"
        if MOUSEION_HASHED_STATIC
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not MOUSEION_HASHED_STATIC
# The VR controller models (GLB, ~23 MB) gain ~6% from gzip for seconds of every collectstatic.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (
    *Compressor.SKIP_COMPRESS_EXTENSIONS,
    "glb",
)
WHITENOISE_AUTOREFRESH = DEBUG

MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Media goes through museum.media (who may see which file). Behind nginx set this to the
# `internal` location that aliases MEDIA_ROOT (deploy/nginx: /protected-media/): Django then
# answers with X-Accel-Redirect and nginx sends the bytes. Empty: Django streams the file.
MOUSEION_MEDIA_ACCEL_PREFIX = env("MOUSEION_MEDIA_ACCEL_PREFIX", default="")
# Where media live: "filesystem" (MEDIA_ROOT, the default) or "s3" (any S3-compatible object
# store, museum/media_storage.py). Credentials come from boto3's own chain (AWS_ACCESS_KEY_ID
# and AWS_SECRET_ACCESS_KEY, AWS_PROFILE or an instance role). Every object is private: the
# media view checks the reader, then redirects to a presigned URL valid MOUSEION_S3_URL_EXPIRY
# seconds (MOUSEION_MEDIA_DELIVERY=redirect) or streams the object itself ("stream", for a
# store browsers cannot reach).
MOUSEION_MEDIA_STORAGE = env("MOUSEION_MEDIA_STORAGE", default="filesystem")
MOUSEION_MEDIA_DELIVERY = env("MOUSEION_MEDIA_DELIVERY", default="redirect")
if MOUSEION_MEDIA_STORAGE not in ("filesystem", "s3"):
    raise ImproperlyConfigured(
        f"MOUSEION_MEDIA_STORAGE={MOUSEION_MEDIA_STORAGE!r}: use 'filesystem' or 's3'"
    )
if MOUSEION_MEDIA_DELIVERY not in ("redirect", "stream"):
    raise ImproperlyConfigured(
        f"MOUSEION_MEDIA_DELIVERY={MOUSEION_MEDIA_DELIVERY!r}: use 'redirect' or 'stream'"
    )
if MOUSEION_MEDIA_STORAGE == "s3":
    if not env("MOUSEION_S3_BUCKET", default=""):
        raise ImproperlyConfigured("MOUSEION_MEDIA_STORAGE=s3 needs MOUSEION_S3_BUCKET")
    STORAGES["default"] = {
        "BACKEND": "museum.media_storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": env("MOUSEION_S3_BUCKET"),
            "endpoint_url": env("MOUSEION_S3_ENDPOINT_URL", default="") or None,
            "region_name": env("MOUSEION_S3_REGION", default="") or None,
            "addressing_style": env("MOUSEION_S3_ADDRESSING_STYLE", default="") or None,
            "location": env("MOUSEION_S3_PREFIX", default=""),
            "default_acl": env("MOUSEION_S3_ACL", default="private") or None,
            "querystring_auth": True,
            "querystring_expire": env.int("MOUSEION_S3_URL_EXPIRY", default=300),
            # Signature V4 (botocore would presign with the deprecated V2 on some regions).
            "signature_version": "s3v4",
            # Names carry a random segment already; a taken one still gets a suffix, never
            # overwritten, as on the filesystem.
            "file_overwrite": False,
            # Files opened for reading spill to disk past 16 MB instead of filling memory.
            "max_memory_size": 16 * 1024 * 1024,
        },
    }
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Also the cap of a whole body that is not multipart (JSON, forms): museum.uploads.BodySizeLimit.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Largest uploaded file (bytes), unless a view sets its own `max_upload_bytes` (mask uploads).
# Refused with 413 while the body arrives (museum/uploads.py); nginx's client_max_body_size is
# this plus museum.uploads.MULTIPART_ALLOWANCE (1 MiB).
MOUSEION_MAX_UPLOAD_BYTES = env.int("MOUSEION_MAX_UPLOAD_BYTES", default=512 * 1024 * 1024)
# The cap is counted by the first handler; the default handlers after it build the file.
FILE_UPLOAD_HANDLERS = [
    "museum.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Uploads spool beside the media (same disk by default), so storing one is a rename, not a copy.
FILE_UPLOAD_TEMP_DIR = Path(env("FILE_UPLOAD_TEMP_DIR", default=str(VAR_DIR / "upload-tmp")))
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)
# Intake: caps beyond the upload size (see exhibits/intake/limits.py) and the LOD tool.
MOUSEION_INTAKE_LIMITS: dict = {}
MOUSEION_NODE = env("MOUSEION_NODE", default="node")
MOUSEION_GLTFPACK = NODE_MODULES / "gltfpack" / "cli.js"

LOGIN_URL = "admin:login"

# HTTP rate limits (museum/throttling.py): a general rate per visitor address ("anon") and per
# signed-in account ("user") on the whole API, and a rate of its own for each expensive kind of
# request, for visitors ("<scope>_anon") and users ("<scope>_user"). "N/s|min|hour|day"; each can
# be set as MOUSEION_THROTTLE_<NAME> (MOUSEION_THROTTLE_SEARCH_ANON=120/min), "off" lifts it.
# The defaults leave room for a person clicking quickly and refuse a script in a loop.
THROTTLE_RATE_DEFAULTS = {
    "anon": "300/min",
    "user": "1200/min",
    # GET /api/search and the /search/ page (a sentence encoding per new query).
    "search_anon": "60/min",
    "search_user": "120/min",
    # GET /api/artifacts/<id>/similar/.
    "similar_anon": "60/min",
    "similar_user": "120/min",
    # POST /api/visits/plan (a route search per request).
    "plan_anon": "20/min",
    "plan_user": "60/min",
    # The condition report PDF (built from the textures).
    "pdf_anon": "10/min",
    "pdf_user": "30/min",
    # Uploads and job requests: asset sources, mask corrections, condition checks, restorations.
    "upload_anon": "20/min",
    "upload_user": "60/min",
    # POST /analytics/beacon (one per museum page a visitor leaves; a class behind one NAT
    # shares an address).
    "beacon_anon": "120/min",
    "beacon_user": "240/min",
}
THROTTLE_RATES = {
    name: (None if rate.lower() == "off" else rate)
    for name, default in THROTTLE_RATE_DEFAULTS.items()
    for rate in [env(f"MOUSEION_THROTTLE_{name.upper()}", default=default)]
}

# Visit analytics (issue #23, museum/analytics/): daily counters only, nothing about a person.
# Off: nothing is counted. Counts below MIN_COUNT are shown as "< MIN_COUNT" everywhere. The
# in-process buffer is written every FLUSH_SECONDS (what a killed process held is lost); dwell
# times are clamped to MAX_DWELL_SECONDS. The planner blends observed dwell into object interest
# (PLAN_DWELL_PRIOR, its WEIGHT, over the last PLAN_DWELL_DAYS days).
MOUSEION_ANALYTICS = env.bool("MOUSEION_ANALYTICS", default=True)
MOUSEION_ANALYTICS_MIN_COUNT = env.int("MOUSEION_ANALYTICS_MIN_COUNT", default=5)
MOUSEION_ANALYTICS_FLUSH_SECONDS = env.float("MOUSEION_ANALYTICS_FLUSH_SECONDS", default=30.0)
MOUSEION_ANALYTICS_MAX_DWELL_SECONDS = env.float(
    "MOUSEION_ANALYTICS_MAX_DWELL_SECONDS", default=3600.0
)
MOUSEION_PLAN_DWELL_PRIOR = env.bool("MOUSEION_PLAN_DWELL_PRIOR", default=True)
MOUSEION_PLAN_DWELL_WEIGHT = env.float("MOUSEION_PLAN_DWELL_WEIGHT", default=0.5)
MOUSEION_PLAN_DWELL_DAYS = env.int("MOUSEION_PLAN_DWELL_DAYS", default=90)
# The live "Next stop" (issue #21, museum/planning/next_stop.py): "learned", the next-stop policy
# trained by PPO in the simulated day (on by default: it queues less than re-planning at every
# stop, museum/planning/weights/LIVE_POLICY_CARD.md), or "aware", the first stop of a
# crowd-aware plan from the visitor's room.
MOUSEION_LIVE_ROUTING = env.str("MOUSEION_LIVE_ROUTING", default="learned")
if MOUSEION_LIVE_ROUTING not in ("learned", "aware"):
    raise ImproperlyConfigured(
        f"MOUSEION_LIVE_ROUTING is {MOUSEION_LIVE_ROUTING!r}: use 'learned' or 'aware'"
    )

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # Scripts send a token ("Authorization: Token <key>", rest_framework.authtoken: made in the
    # admin or by `manage.py drf_create_token <user>`). No HTTP Basic: each Basic request would
    # cost a password hash, an unthrottled way to guess passwords and burn CPU.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "museum.throttling.AnonThrottle",
        "museum.throttling.UserThrottle",
        "museum.throttling.ScopedThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
    # 0: the client address is REMOTE_ADDR, which uvicorn's --proxy-headers sets from nginx's
    # X-Forwarded-For (deploy/). Set it to the number of proxies only for a server that does not
    # rewrite the address (museum.throttling.client_address).
    "NUM_PROXIES": env.int("MOUSEION_NUM_PROXIES", default=0),
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.DjangoModelPermissionsOrAnonReadOnly",
    ],
    "EXCEPTION_HANDLER": "museum.api_errors.json_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Mouseion API",
    "DESCRIPTION": "Collection, exhibitions and assets of a Mouseion virtual museum.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Swagger UI would otherwise show a badge image fetched from validator.swagger.io (with the
    # schema URL in the query) whenever the site is not on localhost: no third-party fetches.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PublicationStatusEnum": "exhibits.models.PublicationStatus",
        "JobStatusEnum": "exhibits.models.Job.Status",
        "RestorationKindEnum": "restoration.restore.models.RestorationJob.Kind",
        "RestorationReviewEnum": "restoration.restore.models.RestorationJob.Review",
        "RestoredRegionKindEnum": "restoration.restore.models.RestoredRegion.Kind",
    },
}

REDIS_URL = env("REDIS_URL", default="")
# The cache holds the rate-limit counts: shared through Redis when there are several processes,
# in memory for the single profile's one ASGI process.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "mouseion",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The flood guard in front of Django (museum/http_guard.py): HTTP requests per client address and
# process, static files and /healthz not counted; past it a 429 costs microseconds, not a trip
# through Django. A person's page with its API calls and media is a few dozen requests; the burst
# leaves room for a class behind one NAT address. 0 switches it off.
MOUSEION_HTTP_RATE = env.float("MOUSEION_HTTP_RATE", default=40.0)
MOUSEION_HTTP_BURST = env.float("MOUSEION_HTTP_BURST", default=400.0)

# Login lockout (django-axes, on the admin login): MOUSEION_LOGIN_FAILURE_LIMIT failed sign-ins
# for one username from one address lock that pair out for MOUSEION_LOGIN_COOLOFF_MINUTES, even
# with the right password; another address, or another username, is not affected. Attempts are
# kept in the database (all processes see them) and listed in the admin.
AXES_FAILURE_LIMIT = env.int("MOUSEION_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("MOUSEION_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The same client address as the rate limits (the proxy setting above).
AXES_CLIENT_IP_CALLABLE = "museum.throttling.client_address"
AXES_LOCKOUT_CALLABLE = "museum.lockout.lockout_response"
# No start-up banner on stderr: commands such as `ingest` and `plan_tour` print one line there.
AXES_VERBOSE = False

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1500, "expiry": 10},
        }
    }
else:
    # In-memory: exactly one ASGI process in the single-machine profile.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Real-time presence and guided tours (museum/realtime/PROTOCOL.md documents each limit).
REALTIME_MAX_FRAME_BYTES = env.int("REALTIME_MAX_FRAME_BYTES", default=16 * 1024)
REALTIME_ROOM_CAP = env.int("REALTIME_ROOM_CAP", default=24)
REALTIME_TOUR_CAP = env.int("REALTIME_TOUR_CAP", default=200)
REALTIME_TICK_HZ = env.float("REALTIME_TICK_HZ", default=10.0)
REALTIME_MAX_POSE_HZ = env.float("REALTIME_MAX_POSE_HZ", default=15.0)
REALTIME_RATE = env.float("REALTIME_RATE", default=20.0)
REALTIME_BURST = env.float("REALTIME_BURST", default=40.0)
REALTIME_MAX_STRIKES = env.int("REALTIME_MAX_STRIKES", default=50)
# Abuse limits (issue #17). Connections per client address (the address as the HTTP side's
# throttles see it: NUM_PROXIES), across processes on the scaled profile; a school class behind
# one NAT address must fit. Listeners per room or tour past its cap. Tour hands and questions
# per person. A presence socket counts in the planner's crowd board only while it sends poses.
REALTIME_MAX_CONNECTIONS_PER_ADDRESS = env.int("REALTIME_MAX_CONNECTIONS_PER_ADDRESS", default=64)
REALTIME_MAX_LISTENERS = env.int("REALTIME_MAX_LISTENERS", default=100)
REALTIME_TOUR_REQUEST_RATE = env.float("REALTIME_TOUR_REQUEST_RATE", default=0.5)
REALTIME_TOUR_REQUEST_BURST = env.float("REALTIME_TOUR_REQUEST_BURST", default=4.0)
REALTIME_CROWD_IDLE_SECONDS = env.float("REALTIME_CROWD_IDLE_SECONDS", default=30.0)
# Several ASGI processes (scaled profile): rooms merge their members across processes through
# the channel layer, one message per room per tick per process (museum/realtime/crossprocess.py).
REALTIME_CROSS_PROCESS = env.bool(
    "REALTIME_CROSS_PROCESS", default=bool(env("REDIS_URL", default=""))
)
# Live voice in guided tours (issue #23, museum/realtime/voice.py): "p2p" (browsers connect to
# each other, signalling over the tour socket; the single profile), "sfu" (every browser to a
# Janus media server, MOUSEION_JANUS_URL, its WebSocket API; the scaled profile) or "off".
# Signalling frames (rtc, listen) have their own bucket per connection.
MOUSEION_VOICE = env("MOUSEION_VOICE", default="p2p")
MOUSEION_VOICE_P2P_MAX_LISTENERS = env.int("MOUSEION_VOICE_P2P_MAX_LISTENERS", default=12)
MOUSEION_JANUS_URL = env("MOUSEION_JANUS_URL", default="ws://127.0.0.1:8188")
# RTCIceServer dicts (JSON) given to browsers, e.g. a STUN/TURN server for visitors behind NAT;
# loopback and a LAN need none.
MOUSEION_ICE_SERVERS = env.json("MOUSEION_ICE_SERVERS", default=[])
REALTIME_RTC_RATE = env.float("REALTIME_RTC_RATE", default=20.0)
REALTIME_RTC_BURST = env.float("REALTIME_RTC_BURST", default=60.0)

# Celery. Single profile: kombu's filesystem transport keeps queued jobs on disk under var/,
# so they survive a restart without any broker service. Scaled profile: Redis.
CELERY_BROKER_DIR = VAR_DIR / "broker"
# Time limits bound the longest job (a restoration on CPU): soft raises in the task so it can
# fail cleanly, hard kills it. Tests shorten them to exercise redelivery in seconds.
CELERY_TASK_TIME_LIMIT = env.int("MOUSEION_JOB_TIME_LIMIT", default=3900)
CELERY_TASK_SOFT_TIME_LIMIT = env.int(
    "MOUSEION_JOB_SOFT_TIME_LIMIT",
    default=CELERY_TASK_TIME_LIMIT - min(300, CELERY_TASK_TIME_LIMIT // 5),
)
if REDIS_URL:
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
    # A job whose worker died (kill -9, lost machine) stays unacknowledged in Redis and is handed
    # out again once it is older than the visibility timeout. That timeout must exceed the hard
    # time limit, or a job still running would be given to a second worker as well.
    _visibility = env.int(
        "MOUSEION_BROKER_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 600
    )
    if _visibility <= CELERY_TASK_TIME_LIMIT:
        raise ImproperlyConfigured(
            f"MOUSEION_BROKER_VISIBILITY_TIMEOUT ({_visibility} s) must exceed the job time "
            f"limit MOUSEION_JOB_TIME_LIMIT ({CELERY_TASK_TIME_LIMIT} s)"
        )
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        "visibility_timeout": _visibility,
        # Sweep for abandoned jobs every 10 s (kombu's default scans every 100 s).
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
    CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
else:
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
    for sub in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(CELERY_BROKER_DIR / "control"),
    }
# The job runner (museum/jobs.py): a job claimed more often than this (each attempt killed its
# worker) fails with that reason. On the single profile the one worker re-queues the jobs it
# finds "running" when it starts (the filesystem transport deletes a message when fetched, so
# a killed worker's job has no message left); at scale the broker's visibility timeout does.
MOUSEION_JOB_MAX_ATTEMPTS = env.int("MOUSEION_JOB_MAX_ATTEMPTS", default=3)
MOUSEION_REQUEUE_ON_WORKER_START = env.bool(
    "MOUSEION_REQUEUE_ON_WORKER_START", default=CELERY_BROKER_URL.startswith("filesystem")
)
# Job state lives on our own models (Job), so Celery results are not stored.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"restoration.tasks.*": {"queue": "gpu"}}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

if not DEBUG:
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# HTTPS deployments (README "Deploying at scale") set MOUSEION_HTTPS=true: redirect to HTTPS,
# secure cookies and HSTS. Off by default so `make run` keeps working on http://127.0.0.1.
# Behind a TLS-terminating proxy, uvicorn's --proxy-headers makes requests count as secure.
MOUSEION_HTTPS = env.bool("MOUSEION_HTTPS", default=False)
if MOUSEION_HTTPS:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    # The proxy's health probe talks plain HTTP on loopback.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
