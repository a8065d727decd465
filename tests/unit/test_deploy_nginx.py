"""The nginx example (deploy/nginx/mouseion.conf) is a configuration nginx accepts: its rate and
connection limits, upload cap and static locations parse. TLS and the site's paths are swapped for
loopback stand-ins; everything else is the file as shipped."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt nginx)")
def test_the_nginx_example_passes_nginx_t(tmp_path: Path) -> None:
    site = (ROOT / "deploy" / "nginx" / "mouseion.conf").read_text()
    assert "limit_req zone=mouseion_requests" in site and "client_max_body_size" in site
    site = site.replace("listen 443 ssl http2;", "listen 127.0.0.1:18443;")
    site = site.replace("listen 80;", "listen 127.0.0.1:18080;")
    site = "\n".join(line for line in site.splitlines() if "ssl_certificate" not in line)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"events {{}}\nerror_log {tmp_path}/error.log;\npid {tmp_path}/nginx.pid;\n"
        f"http {{\n access_log off;\n include {tmp_path}/site.conf;\n}}\n"
    )
    done = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
