"""Debian's nginx with the site in deploy/nginx/, rendered into a folder of one's own: for
the deployment tests (tests/deploy/) and the page-weight benchmark alike."""

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .served import ROOT

NGINX = Path("/usr/sbin/nginx")
DEBIAN_NGINX_CONF = Path("/etc/nginx/nginx.conf")
SITE = ROOT / "deploy" / "nginx" / "portal.conf"
SNIPPET = ROOT / "deploy" / "nginx" / "portal-proxy.conf"
PLACEHOLDER = re.compile(r"@[A-Z_]+@")
LISTEN = re.compile(r"^(?P<indent>\s*)listen (?P<address>\S+)(?P<rest>[^;]*);\n", re.MULTILINE)


@dataclass
class Ports:
    http: int
    https: int
    onion: int


def render(text: str, values: dict, ports: Ports, folder: Path) -> str:
    """A shipped file with its placeholders filled in as README's sed does, and every
    listener moved to its loopback port (the IPv6 ones dropped)."""
    for placeholder, value in values.items():
        text = text.replace(placeholder, str(value))
    left = PLACEHOLDER.findall(text)
    if left:
        raise AssertionError(f"placeholders README does not fill in: {left}")
    on_loopback = {"80": ports.http, "443": ports.https, "127.0.0.1:8081": ports.onion}

    def loopback(match):
        if match["address"].startswith("[::]"):
            return ""
        port = on_loopback[match["address"]]  # a new listener needs a port here
        return f"{match['indent']}listen 127.0.0.1:{port}{match['rest']};\n"

    text = LISTEN.sub(loopback, text)
    # Logs and the certificate authority's folder in the folder given.
    text = text.replace("/var/log/nginx/", f"{folder}/log-")
    return text.replace("/var/www/letsencrypt", str(folder / "acme"))


def main_config(folder: Path, site: Path) -> str:
    """Debian's own nginx.conf, including only the portal's site, its files in `folder`."""
    temporary = " ".join(
        f"{kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    lines, included = [], False
    # The command line (-g) names the pid file and the error log; the tests run as root
    # in CI, and their folder is open to root alone. Dynamic modules would be looked for
    # under the folder (-p), and the portal needs none.
    dropped = ("user", "pid", "error_log", "access_log", "worker_processes")
    elsewhere = ("/etc/nginx/conf.d/", "/etc/nginx/modules-enabled/")
    for line in DEBIAN_NGINX_CONF.read_text().splitlines():
        words = line.split() or [""]
        if words[0] in dropped or words[0] == "include" and words[1].startswith(elsewhere):
            continue
        if words == ["include", "/etc/nginx/sites-enabled/*;"]:
            line, included = f"include {site}; access_log off; {temporary}", True
        lines.append(line)
    if not included:
        raise AssertionError(f"{DEBIAN_NGINX_CONF} no longer includes sites-enabled/")
    user = ["user root;"] if os.geteuid() == 0 else []
    return "\n".join([*user, "worker_processes 2;", *lines]) + "\n"


def configure(folder: Path, values: dict, ports: Ports) -> Path:
    """The site, its snippet and the main configuration written into `folder`: returns
    the main configuration's path."""
    (folder / "snippets").mkdir(exist_ok=True)
    (folder / "snippets" / "portal-proxy.conf").write_text(
        render(SNIPPET.read_text(), values, ports, folder)
    )
    site = folder / "portal"
    site.write_text(render(SITE.read_text(), values, ports, folder))
    config = folder / "nginx.conf"
    config.write_text(main_config(folder, site))
    return config
