# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which sudo reads the rules (sudo or sudo-rs), and what sudo-rs cannot express.

Seen with sudo-rs 0.2.5 (Debian 13): a name in sudoers may hold only ASCII letters, digits,
'.', '-' and '_' and may not start with '_'; a double-quoted name is cut at the first other
character without an error ("%help desk@example.test" grants group "help"); '%#<gid>' takes at
most 9 digits; arguments are compared literally and the escapes sudo needs for '*', '?', '[',
']' and a leading '^' are syntax errors; there is no sudoedit; `visudo -c` prints
"parsed OK" for the main file only; a group whose entry is over 1024 bytes (many members) is
never matched by name. Pure functions: the module passes in what it read on the host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_render import (
    render_runas,
    render_who,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_values import quote

SUDO = "sudo"
SUDO_RS = "sudo-rs"
# sudo-rs reads /etc/sudoers-rs when it exists, else /etc/sudoers.
SUDO_RS_POLICIES = ("/etc/sudoers-rs", "/etc/sudoers")
# glibc's sysconf(_SC_GETGR_R_SIZE_MAX): sudo-rs 0.2.5 looks groups up in a buffer this size.
GROUP_BUFFER = 1024

_VERSION_LINES = (
    (re.compile(r"^sudo-rs (\S+)"), SUDO_RS),
    (re.compile(r"^Sudo version (\S+)"), SUDO),
)
_NAME_CHAR = re.compile(r"[A-Za-z0-9._-]")
_GLOB_CHARS = "*?[]"
_INCLUDE = re.compile(r"^\s*[@#]include(dir)?\s+(.+?)\s*$")


def identify(text):
    """(implementation, version) from the output of `sudo -V`, or None when it is neither."""
    for line in (text or "").splitlines():
        for pattern, name in _VERSION_LINES:
            match = pattern.match(line.strip())
            if match:
                return name, match.group(1)
    return None


def _name_problem(token):
    """Why sudo-rs cannot read token (a name as sudoers writes it, '%' included), or None."""
    name = token[1:] if token.startswith("%") else token
    if name.startswith("_"):
        return "it does not accept a name that starts with '_'"
    for index, char in enumerate(name):
        if not _NAME_CHAR.match(char):
            kept = token[: len(token) - len(name) + index]
            return (
                "its names take only letters, digits, '.', '-' and '_', not %s (quoted, it "
                "reads %s and gives the rule to that name)" % (quote(char), quote(kept))
            )
    return None


def _who(rule, spec, labels, where, errors):
    token = render_who(rule, spec["domain"], spec["fully_qualified"]).strip('"')
    problem = _name_problem(token)
    if problem is None:
        return
    key = "user" if rule.get("user") is not None else "group"
    fix = "use sudo instead of sudo-rs on this host"
    if key == "group" and "@" in token:
        fix += ", or %s: false where SSSD gives short names" % labels["fully_qualified"]
    errors.append(
        "%s.%s %s is written %s, which %s cannot read: %s; %s"
        % (rule["label"], key, quote(rule[key]), token, where, problem, fix)
    )


def _runas(rule, where, errors):
    for part in rule["runas"]:
        if part is None or part == "ALL":
            continue
        problem = _name_problem(part)
        if problem:
            errors.append(
                "%s.runas %s names %s, which %s cannot read: %s; use sudo instead of "
                "sudo-rs on this host"
                % (rule["label"], quote(render_runas(rule["runas"])[1:-1]), part, where, problem)
            )


def _command(command, where, errors):
    if command["kind"] == "sudoedit":
        errors.append(
            "%s %s: %s has no sudoedit; give the command instead, or use sudo on this host"
            % (command["label"], quote(command["text"]), where)
        )
    if command["kind"] not in ("command", "sudoedit"):
        return
    for arg in command["args"]:
        if any(char in arg for char in _GLOB_CHARS) or arg.startswith("^"):
            errors.append(
                "%s %s: %s cannot match the argument %s literally (it refuses the escapes sudo "
                "needs for * ? [ ] and a leading ^, and newer sudo-rs read * as a wildcard); "
                "drop the argument, or use sudo on this host"
                % (command["label"], quote(command["text"]), where, quote(arg))
            )
            return


def sudo_rs_problems(spec, where, labels):
    """Every construct of a validated spec that sudo-rs cannot express, as messages that name
    the variable, the value, what sudo-rs would do with it and the fix.

    where says which sudo-rs, e.g. 'sudo-rs 0.2.5 (the sudo on this host)'.
    """
    errors = []
    for alias in spec["aliases"]:
        for command in alias["commands"]:
            _command(command, where, errors)
    for rule in spec["rules"]:
        _who(rule, spec, labels, where, errors)
        _runas(rule, where, errors)
        for command in rule["commands"]:
            _command(command, where, errors)
    return errors


def group_entry_size(name, password, members):
    """Bytes getgrnam_r needs for this group: its strings and the member pointer array."""
    strings = len(name) + 1 + len(password) + 1 + sum(len(m) + 1 for m in members)
    return strings + 8 + 8 * (len(members) + 1)


def big_group_warnings(spec, lookup, where):
    """Group rules sudo-rs will not match today because the group's entry does not fit its
    lookup buffer. lookup(name) -> (name, password, members) or None when it does not resolve.
    """
    warnings = []
    for rule in spec["rules"]:
        if rule.get("group") is None:
            continue
        name = render_who(rule, spec["domain"], spec["fully_qualified"]).strip('"')[1:]
        entry = lookup(name)
        if entry is None:
            continue
        size = group_entry_size(*entry)
        if size > GROUP_BUFFER:
            warnings.append(
                "%s.group %s: %s has %d members here and its group entry needs about %d "
                "bytes; %s looks groups up in %d bytes, so this rule applies to nobody until "
                "the entry is smaller: set ignore_group_members = True in sssd.conf, or use "
                "sudo on this host"
                % (rule["label"], quote(rule["group"]), name, len(entry[2]), size, where,
                   GROUP_BUFFER)
            )  # fmt: skip
    return warnings


def _include_target(word, base_dir):
    if len(word) > 1 and word.startswith('"') and word.endswith('"'):
        word = word[1:-1]
    else:
        word = word.replace("\\ ", " ")
    return os.path.normpath(os.path.join(base_dir, word))


def included(read, policy, path, depth=0):
    """Whether the sudoers file policy reads path, through @include(dir) or #include(dir).

    read(path) -> the file's text or None. Files in an @includedir are read when their name
    has no '.' and does not end in '~', as sudo does.
    """
    text = read(policy)
    if text is None or depth > 8:
        return False
    for line in text.splitlines():
        match = _INCLUDE.match(line)
        if not match:
            continue
        target = _include_target(match.group(2), os.path.dirname(policy))
        if match.group(1):
            name = os.path.basename(path)
            if os.path.dirname(path) == target and "." not in name and not name.endswith("~"):
                return True
        elif target == path or included(read, target, path, depth + 1):
            return True
    return False
