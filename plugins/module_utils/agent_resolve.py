# -*- coding: utf-8 -*-
# Copyright: federated.ssm_runas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How amazon-ssm-agent resolves a run-as user on Linux, replayed step by step without a shell.

From the agent's source (aws/amazon-ssm-agent):
- agent/session/shell/shell_unix.go, StartCommandExecutor: an empty name fails with "please set
  the RunAs default user"; a name DoesUserExist denies fails with "failed to start pty since
  RunAs user <name> does not exist".
- agent/session/utility/utility_unix.go, DoesUserExist: the user exists when
  ``sh -c "id <name>"`` exits 0.
- agent/session/shell/shell_unix.go, getUserCredentials: ``sh -c "id -u <name>"`` and
  ``sh -c "id -g <name>"`` (a failure is the exec error, "exit status N"; the output goes
  through strconv.Atoi(strings.TrimSpace(...))), then ``sh -c "id <name>"``: the text after the
  first "groups=" is split on "," and each entry goes through extractGroupId; uid and gid must
  both be > 0, else "invalid uid and gid".
- agent/session/shell/shell_unix.go, extractGroupId: an entry without "(" after at least one
  character (a bare GID that ``id`` could not name) is "invalid group"; the part before "(" goes
  through strconv.Atoi(strings.TrimSpace(...)).
The agent puts the name into the command unquoted. Within the STS tag value charset (letters,
separators, numbers and ``_.:/=+-@``) nothing is special to sh but the space, where sh splits
words (other Unicode separators are not in sh's IFS), so ``sh -c "id -u <name>"`` is argv
``[id, -u, *words]``; a name outside that charset is refused here without running anything.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import signal
import unicodedata

TAG_VALUE_MAX = 256
# Besides letters (L), separators (Z) and numbers (N): the STS tag value pattern
# [\p{L}\p{Z}\p{N}_.:/=+\-@]*.
TAG_VALUE_EXTRA = frozenset("_.:/=+-@")
# The only IFS character sh splits on that a tag value can contain (tab and newline are Cc).
SH_WORD_SEPARATOR = " "
GROUPS_IDENTIFIER = "groups="  # shell_unix.go's groupsIdentifier

NO_DEFAULT_USER = "please set the RunAs default user"
DOES_NOT_EXIST = "failed to start pty since RunAs user %s does not exist"
INVALID_GROUP = "invalid group"
INVALID_IDS = "invalid uid and gid"

# Steps in the agent's order; "tag" is ours: the name was not replayed at all.
STEPS = ("tag", "name", "exists", "uid", "gid", "groups", "credentials")

_GO_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}
_INT64_MAX = 2**63 - 1


def tag_value_problems(value):
    """Why value cannot be an STS session tag value (so never reaches the agent), [] if it can."""
    problems = []
    if len(value) > TAG_VALUE_MAX:
        problems.append(
            "is %d characters long; STS allows at most %d" % (len(value), TAG_VALUE_MAX)
        )
    bad = sorted(
        set(
            c
            for c in value
            if c not in TAG_VALUE_EXTRA and unicodedata.category(c)[0] not in ("L", "Z", "N")
        )
    )
    if bad:
        problems.append(
            "contains %s, which STS session tags refuse (allowed: letters, digits, "
            "spaces and _.:/=+-@)" % " ".join(repr(c) for c in bad)
        )
    return problems


def sh_words(name):
    """The arguments sh hands to id for the unquoted name (a tag value: see the module doc)."""
    return [word for word in name.split(SH_WORD_SEPARATOR) if word]


def go_quote(text):
    """strconv.Quote, as the agent's strconv errors show a value."""
    out = []
    for char in text:
        code = ord(char)
        if char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append("\\x%02x" % code)
        elif char.isprintable():
            out.append(char)
        elif code < 0x10000:
            out.append("\\u%04x" % code)
        else:
            out.append("\\U%08x" % code)
    return '"%s"' % "".join(out)


def go_atoi(text):
    """strconv.Atoi on a 64-bit agent: (value, None) or (None, the error as the agent says it)."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits or not all("0" <= c <= "9" for c in digits):
        return None, "strconv.Atoi: parsing %s: invalid syntax" % go_quote(text)
    value = int(text)
    if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
        return None, "strconv.Atoi: parsing %s: value out of range" % go_quote(text)
    return value, None


def go_trim_space(text):
    """strings.TrimSpace for the text id prints (ASCII and Unicode white space)."""
    return text.strip()


def exit_error(rc):
    """What exec's Cmd.Output error says for a failed id (an *exec.ExitError)."""
    if rc is not None and rc < 0:
        try:
            text = signal.strsignal(-rc)
        except ValueError:
            text = None
        return "signal: %s" % (text.lower() if text else -rc)
    return "exit status %s" % rc


def extract_group_id(value):
    """extractGroupId: (gid, None) or (None, the agent's error)."""
    index = value.find("(")
    if index <= 0:
        return None, INVALID_GROUP
    return go_atoi(go_trim_space(value[:index]))


def parse_groups(text):
    """The group ids getUserCredentials reads from `id <name>`: (gids, None) or
    (None, (error, the entry that failed))."""
    index = text.find(GROUPS_IDENTIFIER)
    gids = []
    if index > 0:
        for value in text[index + len(GROUPS_IDENTIFIER) :].split(","):
            gid, error = extract_group_id(value)
            if error:
                return None, (error, value)
            gids.append(gid)
    return gids, None


class Refused(Exception):
    """Where the agent's resolution stops: the step, its error, what was read before."""

    def __init__(self, step, error, **found):
        super(Refused, self).__init__(error)
        self.step, self.error, self.found = step, error, found


def _number(reply, step, found):
    """id -u / id -g, read as getUserCredentials reads them."""
    rc, out = reply
    if rc != 0:
        raise Refused(step, exit_error(rc), **found)
    value, error = go_atoi(go_trim_space(out))
    if error:
        raise Refused(step, error, **found)
    return value


def _credentials(call, name):
    """StartCommandExecutor's checks, then getUserCredentials; raises Refused."""
    if not go_trim_space(name):
        raise Refused("name", NO_DEFAULT_USER)
    if call("exists")[0] != 0:
        raise Refused("exists", DOES_NOT_EXIST % name)
    found = {}
    found["uid"] = _number(call("uid", "-u"), "uid", found)
    found["gid"] = _number(call("gid", "-g"), "gid", found)
    rc, out = call("groups")
    if rc != 0:
        raise Refused("groups", exit_error(rc), **found)
    gids, failure = parse_groups(out)
    if failure:
        raise Refused("groups", failure[0], entry=failure[1].strip(), **found)
    found["groups"] = gids
    if not (found["uid"] > 0 and found["gid"] > 0):
        raise Refused("credentials", INVALID_IDS, **found)
    return found


def outcome(name, words, calls, step=None, error=None, **found):
    result = {
        "name": name,
        "words": words,
        "calls": calls,
        "ok": step is None,
        "step": step,
        "error": error,
        "uid": None,
        "gid": None,
        "groups": None,
    }
    result.update(found)
    return result


def resolve(run, name, id_bin="id"):
    """Replay the agent's resolution of name; run(argv) -> (rc, stdout, stderr).

    Returns what the agent ends with: ok with uid, gid and the group ids it passes to setgroups,
    or the step that failed and the agent's own error text (before the "Unable to start command:"
    the session shows). calls holds every id run and its output.
    """
    problems = tag_value_problems(name)
    if problems:
        error = "%r is not a valid STS session tag value: it %s" % (name, "; ".join(problems))
        return outcome(name, None, [], "tag", error)
    words = sh_words(name)
    calls = []

    def call(step, *options):
        argv = [id_bin, *options, *words]
        rc, out, err = run(argv)
        calls.append({"step": step, "argv": argv, "rc": rc, "stdout": out, "stderr": err})
        return rc, out

    try:
        found = _credentials(call, name)
    except Refused as refused:
        return outcome(name, words, calls, refused.step, refused.error, **refused.found)
    return outcome(name, words, calls, **found)
