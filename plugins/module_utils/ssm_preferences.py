# -*- coding: utf-8 -*-
# Copyright: federated.ssm_runas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Session Manager preferences (the SSM-SessionManagerRunShell document), as pure data.

Validate module options, merge them into the current document keeping every input the user
did not mention, and describe the change. No AWS calls here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re

DOCUMENT_NAME = "SSM-SessionManagerRunShell"
DOCUMENT_TYPE = "Session"

# What the console writes when preferences are first saved.
DEFAULT_DOCUMENT = {
    "schemaVersion": "1.0",
    "description": "Document to hold regional settings for Session Manager",
    "sessionType": "Standard_Stream",
    "inputs": {
        "s3BucketName": "",
        "s3KeyPrefix": "",
        "s3EncryptionEnabled": True,
        "cloudWatchLogGroupName": "",
        "cloudWatchEncryptionEnabled": True,
        "cloudWatchStreamingEnabled": True,
        "kmsKeyId": "",
        "runAsEnabled": False,
        "runAsDefaultUser": "",
        "idleSessionTimeout": "20",
        "maxSessionDuration": "",
        "shellProfile": {"windows": "", "linux": ""},
    },
}

# option -> (document input, kind, bounds)
OPTIONS = {
    "run_as_enabled": ("runAsEnabled", "bool", None),
    "run_as_default_user": ("runAsDefaultUser", "user", None),
    "idle_session_timeout": ("idleSessionTimeout", "minutes", (1, 60)),
    "max_session_duration": ("maxSessionDuration", "minutes", (1, 1440)),
    "s3_bucket_name": ("s3BucketName", "s3_bucket", None),
    "s3_key_prefix": ("s3KeyPrefix", "str", None),
    "s3_encryption_enabled": ("s3EncryptionEnabled", "bool", None),
    "cloudwatch_log_group_name": ("cloudWatchLogGroupName", "log_group", None),
    "cloudwatch_encryption_enabled": ("cloudWatchEncryptionEnabled", "bool", None),
    "cloudwatch_streaming_enabled": ("cloudWatchStreamingEnabled", "bool", None),
    "kms_key_id": ("kmsKeyId", "str", None),
    "shell_profile": ("shellProfile", "shell_profile", None),
}

# The agent runs `sh -c "id <name>"` unquoted: no shell metacharacters in names.
_USER_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._@-]{0,255}$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_LOG_GROUP_RE = re.compile(r"^[\w.\-/#]{1,512}$")


# SSM refuses larger documents: MaxDocumentSizeExceeded, "the size limit of a document is 64 KB".
MAX_DOCUMENT_BYTES = 64 * 1024


class PreferencesError(ValueError):
    """Bad preference: the message names the option, the value and the fix."""


def _fail(option, value, fix):
    raise PreferencesError("%s %r: %s" % (option, value, fix))


def _minutes(option, value, bounds):
    low, high = bounds
    if isinstance(value, bool):
        _fail(option, value, "give a whole number of minutes %d..%d" % (low, high))
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        _fail(option, value, "give a whole number of minutes %d..%d" % (low, high))
    return str(number)


def _check(option, kind, value, bounds):
    """Return the document value for one option (value is not None)."""
    if kind == "bool":
        if not isinstance(value, bool):
            _fail(option, value, "use true or false (stored as a JSON boolean)")
        return value
    if kind == "minutes":
        return _minutes(option, value, bounds)
    if kind == "shell_profile":
        if not isinstance(value, dict) or set(value) - {"linux", "windows"}:
            _fail(option, value, "a mapping with 'linux' and/or 'windows' commands")
        for key, text in value.items():
            if text is not None and not isinstance(text, str):
                _fail("%s.%s" % (option, key), text, "a shell command string ('' clears it)")
        return {k: v for k, v in value.items() if v is not None}
    if not isinstance(value, str):
        _fail(option, value, "a string ('' clears it)")
    if value == "":
        return value
    if kind == "user" and not _USER_RE.match(value):
        _fail(
            option,
            value,
            "a Linux user name: letters, digits and ._@- only, since the "
            "agent passes it unquoted to a shell",
        )
    if kind == "s3_bucket" and not _BUCKET_RE.match(value):
        _fail(option, value, "an S3 bucket name: 3-63 lower-case letters, digits, '.' or '-'")
    if kind == "log_group" and not _LOG_GROUP_RE.match(value):
        _fail(option, value, "a CloudWatch log group name: letters, digits and _-./#")
    return value


def desired_inputs(params):
    """Map module options to document inputs; options that are None are left alone."""
    wanted = {}
    for option, (key, kind, bounds) in OPTIONS.items():
        value = params.get(option)
        if value is not None:
            wanted[key] = _check(option, kind, value, bounds)
    return wanted


def merge(current, wanted):
    """Return a new document: ``current`` (or the console default) with ``wanted`` applied."""
    doc = copy.deepcopy(current) if current is not None else copy.deepcopy(DEFAULT_DOCUMENT)
    inputs = doc.setdefault("inputs", {})
    for key, value in wanted.items():
        if key == "shellProfile":
            profile = inputs.get("shellProfile")
            profile = dict(profile) if isinstance(profile, dict) else {}
            profile.update(value)
            inputs[key] = profile
        else:
            inputs[key] = value
    return doc


def check_merged(doc):
    """Cross-field rules on the result; returns the document."""
    inputs = doc.get("inputs", {})
    if inputs.get("runAsEnabled") is True and not inputs.get("runAsDefaultUser"):
        _fail(
            "run_as_default_user",
            inputs.get("runAsDefaultUser", ""),
            "required when run_as_enabled is true (Session Manager uses it when a session "
            "has no run-as tag); name an existing non-root user",
        )
    size = len(render(doc).encode("utf-8"))
    if size > MAX_DOCUMENT_BYTES:
        profile = inputs.get("shellProfile") or {}
        _fail(
            "shell_profile",
            "%d bytes in all" % sum(len(str(v)) for v in profile.values()),
            "the preferences document would be %d bytes; SSM stores at most %d "
            "(MaxDocumentSizeExceeded): shorten the shell profiles" % (size, MAX_DOCUMENT_BYTES),
        )
    return doc


def changes(before, after):
    """List of {input, before, after} for inputs that differ (shellProfile per OS)."""
    old = (before or {}).get("inputs", {})
    new = after.get("inputs", {})
    out = []
    for key in sorted(set(old) | set(new)):
        if key == "shellProfile" and isinstance(new.get(key), dict):
            old_profile = old.get(key) if isinstance(old.get(key), dict) else {}
            for os_name in sorted(set(old_profile) | set(new[key])):
                if old_profile.get(os_name) != new[key].get(os_name):
                    out.append(
                        {
                            "input": "shellProfile.%s" % os_name,
                            "before": old_profile.get(os_name),
                            "after": new[key].get(os_name),
                        }
                    )
        elif old.get(key) != new.get(key):
            out.append({"input": key, "before": old.get(key), "after": new.get(key)})
    for key in sorted(set(before or {}) | set(after)):
        if key != "inputs" and (before or {}).get(key) != after.get(key):
            out.append({"input": key, "before": (before or {}).get(key), "after": after.get(key)})
    return out


def render(doc, variant=0):
    """The JSON text sent to SSM. Variants are equal JSON with different text, used when SSM
    refuses content identical to an older version (DuplicateDocumentContent)."""
    if variant == 0:
        return json.dumps(doc, indent=4) + "\n"
    if variant == 1:
        return json.dumps(doc, indent=2) + "\n"
    if variant == 2:
        return json.dumps(doc, separators=(",", ":"))
    return json.dumps(doc, indent=4) + "\n" * variant


RENDER_VARIANTS = 4


def diff_text(doc):
    """Stable text for --diff."""
    if doc is None:
        return ""
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def parse(content, name=DOCUMENT_NAME):
    try:
        doc = json.loads(content)
    except ValueError as exc:
        raise PreferencesError(
            "%s: the stored document is not JSON (%s); fix or delete it "
            "in the console" % (name, exc)
        ) from None
    if not isinstance(doc, dict):
        raise PreferencesError("%s: the stored document is not a JSON object" % name)
    return doc
