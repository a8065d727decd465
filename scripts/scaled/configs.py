"""Config files for the scaled test stack: Redis, nginx and PostgreSQL settings, generated from
the ports and folders that stack.py picked. Plain text, no templating library needed."""

from __future__ import annotations

from pathlib import Path


def redis_conf(*, port: int, folder: Path) -> str:
    # A cache-and-broker on loopback; persistence is off because the stack is thrown away.
    return f"""bind 127.0.0.1
port {port}
protected-mode yes
daemonize no
dir {folder}
save ""
appendonly no
logfile ""
databases 4
"""


def postgres_conf(*, port: int, socket_dir: Path) -> str:
    # fsync off: a throwaway test cluster; a real deployment keeps PostgreSQL's defaults.
    return f"""listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{socket_dir}'
max_connections = 100
fsync = off
synchronous_commit = off
full_page_writes = off
"""


def nginx_conf(
    *,
    port: int,
    upstreams: list[int],
    prefix: Path,
    static_root: Path,
    media_root: Path,
    max_body_bytes: int,
) -> str:
    servers = "\n".join(
        f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in upstreams
    )
    return f"""worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;

events {{
    worker_connections 4096;
}}

http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    sendfile on;
    server_tokens off;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}

    upstream mouseion {{
{servers}
    }}
    # Websockets by path on a consistent hash: every member of a room (or tour) lands on the
    # same process, so its poses never wait for the Redis hop; a dead process's rooms move to
    # the next one (and still merge through Redis while both hold members).
    upstream mouseion_rooms {{
        hash $uri consistent;
{servers}
    }}
    map $uri $mouseion_upstream {{
        ~^/ws/  mouseion_rooms;
        default mouseion;
    }}

    server {{
        listen 127.0.0.1:{port};
        # MOUSEION_MAX_UPLOAD_BYTES + museum.uploads.MULTIPART_ALLOWANCE: the application's cap.
        client_max_body_size {max_body_bytes};
        error_page 413 = @too_large;
        location @too_large {{
            default_type application/json;
            return 413 '{{"error": {{"code": "too_large", "fields": {{}},
                "message": "The upload is too large."}}}}';
        }}

        # Hashed names (MOUSEION_HASHED_STATIC) for a year, others briefly: deploy/nginx.
        location ~ "^/static/(?<hashed_static>.+\\.[0-9a-f]{{12}}\\.[A-Za-z0-9]+)$" {{
            alias {static_root}/$hashed_static;
            gzip_static on;
            add_header Cache-Control "public, max-age=31536000, immutable";
        }}
        location /static/ {{
            alias {static_root}/;
            gzip_static on;
            expires 5m;
        }}

        # Media goes to Django (museum.media decides who may see each file); Django answers
        # with X-Accel-Redirect to this internal location (MOUSEION_MEDIA_ACCEL_PREFIX) and
        # nginx sends the bytes. No location serves MEDIA_ROOT to a client directly.
        location /protected-media/ {{
            internal;
            alias {media_root}/;
        }}

        location / {{
            proxy_pass http://$mouseion_upstream;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            # Websockets are long-lived and quiet between snapshots; uploads stream through.
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
            proxy_request_buffering off;
            # A dead upstream is skipped for new connections (the ASGI-kill fault test).
            proxy_next_upstream error timeout http_502;
        }}
    }}
}}
"""


def janus_conf(*, folder: Path, ws_port: int, rtp_ports: str) -> dict[str, str]:
    """Janus (the media server of tour voice in SFU mode): its configs, keyed by file name.
    `folder` holds `plugins/` and `transports/` with links to the VideoRoom plugin and the
    WebSocket transport only (Janus loads every library it finds there); events/ and loggers/
    stay empty. Rooms are made by the ASGI processes, one per live tour, none in the config."""
    core = f"""general: {{
    configs_folder = "{folder}"
    plugins_folder = "{folder}/plugins"
    transports_folder = "{folder}/transports"
    events_folder = "{folder}/events"
    loggers_folder = "{folder}/loggers"
    debug_level = 3
    debug_colors = false
    server_name = "mouseion"
    session_timeout = 60
}}
certificates: {{
}}
media: {{
    rtp_port_range = "{rtp_ports}"
}}
nat: {{
    nice_debug = false
    ice_ignore_list = "vmnet"
}}
plugins: {{
}}
transports: {{
}}
events: {{
    broadcast = false
}}
"""
    # The Janus API on loopback only: only the ASGI processes talk to it (never browsers, whose
    # signalling goes through the tour socket's rules); no admin API.
    websockets = f"""general: {{
    json = "compact"
    ws = true
    ws_port = {ws_port}
    ws_ip = "127.0.0.1"
    wss = false
}}
admin: {{
    admin_ws = false
    admin_wss = false
}}
"""
    videoroom = "general: {\n}\n"
    return {
        "janus.jcfg": core,
        "janus.transport.websockets.jcfg": websockets,
        "janus.plugin.videoroom.jcfg": videoroom,
    }
