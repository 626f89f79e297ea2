"""The launch script: EC2 user data (or an SSM document's command) that makes an instance enrol.

The script only writes three files and starts a service; it carries no secret and no logic of
its own. Its configuration names the bundle by its SHA-256 and the secret by name; the
enroller (module_utils/enrol_agent.py, installed verbatim) does the rest as a systemd service
that logs to the journal and the console, retries with backoff and runs again at each boot.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import inspect
import json
import shlex
import textwrap

from ansible_collections.federated.ssm_runas.plugins.module_utils import enrol_agent

# EC2 refuses user data over 16 KB (before base64): EC2 User Guide, "Run commands when you
# launch an EC2 instance with user data input".
USER_DATA_LIMIT = 16384
DEFAULT_RETRY_SECONDS = 1800
_HEREDOC = "SSM_RUNAS_ENROL_EOF"

# DefaultDependencies=no: a target waits for every unit it wants unless the unit says no, and
# boot (cloud-final.service is ordered after multi-user.target) must not wait for an enrolment
# that retries for retry_seconds while the DC or AWS cannot be reached. The dependencies that
# setting drops are restored: basic.target before, shutdown stops it.
UNIT = """\
[Unit]
Description=federated.ssm_runas: this instance enrols itself for Session Manager run-as
DefaultDependencies=no
Wants=network-online.target
After=network-online.target basic.target
Conflicts=shutdown.target
Before=shutdown.target

[Service]
Type=oneshot
ExecStart=/usr/bin/python3 {script} {config}
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
"""


def config(
    *,
    bucket: str,
    key: str,
    sha256: str,
    secret_store: str,
    secret_name: str,
    region: str,
    retry_seconds: int = DEFAULT_RETRY_SECONDS,
) -> dict:
    return {
        "version": enrol_agent.CONFIG_VERSION,
        "bucket": bucket,
        "key": key,
        "sha256": sha256,
        "secret_store": secret_store,
        "secret_name": secret_name,
        "region": region,
        "retry_seconds": int(retry_seconds),
    }


def agent_text(source: str | None = None) -> str:
    if source is None:
        source = inspect.getsource(enrol_agent)
    return (
        "# Installed by the federated.ssm_runas enrolment launch script; replaced at each launch.\n"
        + source.rstrip("\n")
        + "\n"
        + enrol_agent.ENTRY
    )


def _write(path: str, text: str, mode: str) -> str:
    if _HEREDOC in text:
        raise ValueError(f"{path}: the text contains the here-document end marker {_HEREDOC}")
    tmp = shlex.quote(f"{path}.new")
    return (
        f"cat > {tmp} <<'{_HEREDOC}'\n{text.rstrip(chr(10))}\n{_HEREDOC}\n"
        f"chmod {mode} {tmp} && mv -f {tmp} {shlex.quote(path)}\n"
    )


def _write_packed(path: str, text: str, mode: str) -> str:
    """The enroller is packed (gzip, base64) to fit user data; its SHA-256 is checked on arrival."""
    data = text.encode()
    packed = base64.b64encode(gzip.compress(data, mtime=0)).decode()
    tmp = shlex.quote(f"{path}.new")
    return (
        f"# {path}: SHA-256 {hashlib.sha256(data).hexdigest()} (unpack: base64 -d | gzip -dc)\n"
        f"base64 -d <<'{_HEREDOC}' | gzip -dc > {tmp}\n"
        + "\n".join(textwrap.wrap(packed, 76))
        + f"\n{_HEREDOC}\n"
        f"echo '{hashlib.sha256(data).hexdigest()}  {path}.new' | sha256sum -c --quiet -\n"
        f"chmod {mode} {tmp} && mv -f {tmp} {shlex.quote(path)}\n"
    )


def user_data(settings: dict, source: str | None = None) -> str:
    """The script; raises ValueError when EC2 would refuse it as user data."""
    paths = enrol_agent
    dirs = sorted({paths.CONFIG_FILE.rsplit("/", 1)[0], paths.SCRIPT_FILE.rsplit("/", 1)[0]})
    text = (
        "#!/bin/sh\n"
        f"# federated.ssm_runas: enrol this instance from bundle {settings['sha256'][:12]}.\n"
        f"# Safe to run again; the work runs as {paths.SERVICE} (journalctl -u {paths.SERVICE}).\n"
        "set -eu\n"
        "umask 022\n"
        f"mkdir -p {' '.join(shlex.quote(d) for d in dirs)}\n"
        + _write(paths.CONFIG_FILE, json.dumps(settings, indent=1, sort_keys=True), "0644")
        + _write_packed(paths.SCRIPT_FILE, agent_text(source), "0644")
        + _write(
            f"/etc/systemd/system/{paths.SERVICE}",
            UNIT.format(script=paths.SCRIPT_FILE, config=paths.CONFIG_FILE),
            "0644",
        )
        + "systemctl daemon-reload\n"
        f"systemctl enable {paths.SERVICE}\n"
        f"systemctl restart --no-block {paths.SERVICE}\n"
    )
    size = len(text.encode())
    if size > USER_DATA_LIMIT:
        raise ValueError(
            f"the launch script is {size} bytes; EC2 user data holds {USER_DATA_LIMIT}"
        )
    return text


def ssm_document(script: str) -> dict:
    """A Command document that runs the same script on a running instance and waits for it."""
    service = enrol_agent.SERVICE
    wait = f"systemctl start {service} || {{ journalctl -u {service} -n 40 --no-pager; exit 1; }}"
    return {
        "schemaVersion": "2.2",
        "description": "federated.ssm_runas: enrol this instance (realm, homes, sudo rules)",
        "mainSteps": [
            {
                "action": "aws:runShellScript",
                "name": "enrol",
                "inputs": {
                    "timeoutSeconds": "3600",
                    "runCommand": [*script.rstrip("\n").split("\n"), wait],
                },
            }
        ],
    }
