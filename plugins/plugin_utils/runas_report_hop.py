# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One hop of the run-as report: its result record, how results combine, and what the caller
names (its groups, variables and runs) that the report itself cannot know."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

HOPS = (
    ("directory", "AD account in a run-as group"),
    ("claim", "claim rule value"),
    ("sts_tag", "valid STS tag value"),
    ("trust", "trust policy allows"),
    ("preferences", "run-as enabled"),
    ("id", "agent resolves <tag>"),
    ("home", "/home/<tag> owned"),
    ("sudo", "sudo as declared"),
)
HOP_NAMES = tuple(hop[0] for hop in HOPS)
HOP_TITLES = dict(HOPS)
PASS, FAIL, UNKNOWN, SKIPPED = "pass", "fail", "unknown", "skipped"
GREEN, RED, AMBER = "green", "red", "unknown"

# Words the fixes use for things only the caller can name; a playbook passes its own.
CONTEXT = {
    "instance_group": "the instance hosts",
    "account_group": "the AWS account hosts",
    "connection_var": "the AWS connection settings",
    "extra_users_var": "the extra users to report on",
    "expect_var": "expect",
    "aws_apply": "apply the AWS side (SAML provider, federation roles, Session Manager "
    "preferences)",
    "instance_apply": "apply the instance side (realm join, homes)",
    "sudo_apply": "apply the sudo rules of the AD groups",
    "accounts_apply": "create the automation account",
}


class ReportInputError(ValueError):
    """A report option is wrong: the message names the variable, the value and the fix."""


def context(**names):
    """CONTEXT with the caller's names; None or "" keeps the neutral default."""
    unknown = sorted(set(names) - set(CONTEXT))
    if unknown:
        raise ReportInputError(
            "unknown report context %s: use %s" % (", ".join(unknown), ", ".join(sorted(CONTEXT)))
        )
    out = dict(CONTEXT)
    out.update({k: str(v) for k, v in names.items() if v not in (None, "")})
    return out


def hop(name, status, detail="", fix=""):
    return {"hop": name, "title": HOP_TITLES[name], "status": status, "detail": detail, "fix": fix}


def combine(name, results):
    """Per-host (or per-role) results of one hop: first FAIL, else first UNKNOWN, else PASS."""
    if not results:
        return hop(name, SKIPPED, "nothing to check")
    for status in (FAIL, UNKNOWN):
        bad = [r for r in results if r["status"] == status]
        if bad:
            return hop(name, status, "; ".join(r["detail"] for r in bad), bad[0]["fix"])
    return hop(name, PASS, "; ".join(r["detail"] for r in results if r["detail"]))


def _last_line(text):
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def unread_reason(result, success_keys):
    """Why a registered module result holds none of its data, or None when it does.

    With failed_when: false a failed module leaves failed: false, its msg and none of the
    keys it returns on success; with ignore_errors it keeps failed: true; an ignored
    unreachable host gives unreachable: true; a skipped task gives skip_reason.
    """
    if not isinstance(result, dict):
        return "no result was registered"
    if result.get("unreachable"):
        return "unreachable: %s" % (_error_text(result) or "no message")
    if result.get("skipped"):
        return "skipped: %s" % (result.get("skip_reason") or "no reason given")
    if result.get("failed") or not all(key in result for key in success_keys):
        return _error_text(result) or "the result holds no data"
    return None


def _error_text(result):
    """The module's msg on one line, with the last line of its traceback when that adds to it."""
    msg = " ".join(str(result.get("msg") or "").split())
    for key in ("exception", "module_stderr"):
        tail = _last_line(result.get(key))
        if tail and tail != "(traceback unavailable)" and tail not in msg:
            return "%s (%s)" % (msg, tail) if msg else tail
    return msg
