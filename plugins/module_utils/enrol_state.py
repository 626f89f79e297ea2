# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state file that ssm-runas-enrol.service leaves on an instance that enrols itself at
launch, its one shape, and how runas_probe reads it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
from datetime import datetime

from ansible_collections.federated.ssm_runas.plugins.module_utils import enrol_agent

# The writer's own names: the enroller is installed as one file, so they live there.
ENROL_SERVICE = enrol_agent.SERVICE[: -len(".service")]
ENROL_STATE = enrol_agent.STATE_FILE
STATE_VERSION = enrol_agent.STATE_VERSION
CONVERGED, FAILED = "converged", "failed"
STATE_KEYS = (
    "version",
    "result",
    "bundle_sha256",
    "bundle_key",
    "last_attempt_at",
    "enrolled_at",
    "reason",
)
# The service writes a few hundred bytes; a bigger file is not its state and stays out of the
# module's result.
MAX_BYTES = 65536
_SHA256 = re.compile(r"[0-9a-f]{64}")
_TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"


def _is_timestamp(value):
    if not isinstance(value, str) or len(value) != 20:
        return False
    try:
        datetime.strptime(value, _TIMESTAMP)
    except ValueError:
        return False
    return True


def _text(value):
    return isinstance(value, str) and value.strip() != ""


def state_problems(data):
    """What keeps data from being the enrolment state, [] when nothing does."""
    if not isinstance(data, dict):
        return ["not a JSON object"]
    problems = []
    version = data.get("version")
    if isinstance(version, bool) or version != STATE_VERSION:
        problems.append("version %r is not %d" % (version, STATE_VERSION))
    result = data.get("result")
    if result not in (CONVERGED, FAILED):
        problems.append("result %r is not %r or %r" % (result, CONVERGED, FAILED))
    if not (
        isinstance(data.get("bundle_sha256"), str) and _SHA256.fullmatch(data["bundle_sha256"])
    ):
        problems.append(
            "bundle_sha256 %r is not 64 lower-case hex digits" % data.get("bundle_sha256")
        )
    if not _text(data.get("bundle_key")):
        problems.append("bundle_key %r is not an S3 key" % data.get("bundle_key"))
    for key in ("last_attempt_at", "enrolled_at"):
        value = data.get(key)
        if value is None and key == "enrolled_at" and result != CONVERGED:
            continue
        if not _is_timestamp(value):
            problems.append("%s %r is not a UTC time like 2026-12-03T17:02:11Z" % (key, value))
    if result == FAILED and not _text(data.get("reason")):
        problems.append("result is failed without a reason")
    return problems


def read_state(path):
    """{path, exists, state} from the state file at path; error instead of state when it could
    not be read, is not JSON or not the state's shape."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return {"path": path, "exists": False}
    except OSError as exc:
        return {"path": path, "exists": True, "error": str(exc)}
    if len(raw) > MAX_BYTES:
        return {"path": path, "exists": True, "error": "larger than %d bytes" % MAX_BYTES}
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError as exc:  # a UnicodeDecodeError is a ValueError too
        return {"path": path, "exists": True, "error": "not JSON: %s" % exc}
    problems = state_problems(data)
    if problems:
        return {"path": path, "exists": True, "error": "; ".join(problems)}
    return {"path": path, "exists": True, "state": {key: data.get(key) for key in STATE_KEYS}}
