# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sudoers input, one value at a time: AD group, local user, domain, run-as, command, file
path, header.

Each check returns the first problem as a full sentence naming the variable and the value, so
that nothing that could change the meaning of a sudoers line gets through."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import unicodedata

from ansible.module_utils.parsing.convert_bool import boolean

ALIAS_RE = re.compile(r"\A[A-Z][A-Z0-9_]*\Z")
PROGRAM_NAME_RE = re.compile(r"\A[A-Za-z0-9_][A-Za-z0-9._+-]*\Z")
PATH_COMPONENT_RE = re.compile(r"\A[A-Za-z0-9._+@-]+\Z")
RUNAS_NAME_RE = re.compile(r"\A[A-Za-z0-9_][A-Za-z0-9_.@-]*\$?\Z")
DOMAIN_LABEL_RE = re.compile(r"\A[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")
# A local account name as useradd accepts it by default (shadow-utils NAME_REGEX), at most 32.
LOCAL_USER_RE = re.compile(r"\A[a-z_][a-z0-9_-]*\$?\Z")
MAX_LOCAL_USER_LENGTH = 32

# sudoers(5): ALL, option names and command tags cannot (or should not) be alias names.
RESERVED_WORDS = frozenset(
    (
        "ALL", "CHROOT", "ROLE", "TYPE", "TIMEOUT", "CWD", "NOTBEFORE", "NOTAFTER", "DEFAULTS",
        "PASSWD", "NOPASSWD", "EXEC", "NOEXEC", "SETENV", "NOSETENV", "FOLLOW", "NOFOLLOW",
        "MAIL", "NOMAIL", "LOG_INPUT", "NOLOG_INPUT", "LOG_OUTPUT", "NOLOG_OUTPUT",
        "INTERCEPT", "NOINTERCEPT",
    )
)  # fmt: skip

GROUP_PUNCTUATION_OK = frozenset(" ._-'&$")
GROUP_CHAR_REASONS = {
    ",": "AD group names may not contain commas",
    ":": "AD group names may not contain colons",
    "=": "AD group names may not contain equals signs",
    "!": "sudoers reads '!' as negation",
    "\\": "AD group names may not contain backslashes; give the bare group name without DOMAIN\\",
    '"': "AD group names may not contain double quotes",
    "#": "sudoers reads '#' as a comment or a numeric id",
    "(": "sudoers reads parentheses as a run-as list",
    ")": "sudoers reads parentheses as a run-as list",
    "%": "give the bare group name; the '%' is added for you",
    "@": "give the bare group name; the domain comes from {domain} and {fq}",
    "*": "AD group names may not contain wildcards",
    "?": "AD group names may not contain wildcards",
    "[": "AD group names may not contain brackets",
    "]": "AD group names may not contain brackets",
    "/": "AD group names may not contain slashes",
    "+": "AD group names may not contain '+'",
    ";": "AD group names may not contain semicolons",
    "|": "AD group names may not contain '|'",
    "<": "AD group names may not contain '<'",
    ">": "AD group names may not contain '>'",
}
PATH_CHAR_REASONS = {
    "*": "wildcards in command paths would allow any matching program",
    "?": "wildcards in command paths would allow any matching program",
    "[": "wildcards in command paths would allow any matching program",
    "]": "wildcards in command paths would allow any matching program",
    ",": "sudoers reads ',' as a list separator",
    ":": "sudoers reads ':' as a separator",
    "=": "sudoers reads '=' as a separator",
    "!": "sudoers reads '!' as negation",
    "#": "sudoers reads '#' as a comment",
    "\\": "backslashes are sudoers escapes",
    '"': "quotes are sudoers syntax",
    "(": "parentheses are sudoers syntax",
    ")": "parentheses are sudoers syntax",
}

MAX_NAME_LENGTH = 256

OPTION_NAMES = (
    "path",
    "state",
    "domain",
    "fully_qualified",
    "command_aliases",
    "rules",
    "missing_commands",
    "header",
)
MODULE_LABELS = dict((key, key) for key in OPTION_NAMES)

RULE_KEYS = ("group", "user", "runas", "nopasswd", "commands")


def as_bool(value):
    """Ansible's reading of booleans ("yes", "false", 1 ...), or None when it is not one."""
    try:
        return boolean(value, strict=True)
    except TypeError:
        return None


class SudoersError(ValueError):
    """One or more problems, each a full sentence naming the variable and the value."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(SudoersError, self).__init__("\n".join(self.errors))


def labels_for(prefix, names=None):
    """Names used in messages: each option with the caller's prefix, or the caller's own name
    for it (``names``), so a role's messages name its variables."""
    labels = dict((key, (prefix or "") + key) for key in OPTION_NAMES)
    labels.update(names or {})
    return labels


def quote(value):
    """Show a value the way a user can find it in YAML: quoted, control characters escaped."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, default=repr)


def _bad_character(char):
    """Describe a character no sudoers word may carry (control, format, line separators)."""
    named = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", "\x00": "a NUL byte"}
    if char in named:
        return named[char]
    if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return "the control character U+%04X" % ord(char)
    return None


def _control_problems(value):
    for char in value:
        what = _bad_character(char)
        if what:
            yield "contains %s: sudoers rules are one line each" % what
            return


def _first(label, value, problems):
    """The first problem as a full message '<label> <value> <problem>', or None."""
    problem = next(problems, None)
    if problem is None:
        return None
    return "%s %s %s" % (label, quote(value), problem)


def _group_problems(group, labels):
    if not isinstance(group, str):
        yield "is not a string: give the AD group name, e.g. NetworkAdmins"
        return
    if not group:
        yield "is empty: give the AD group name, e.g. NetworkAdmins"
        return
    yield from _control_problems(group)
    if group != group.strip():
        yield "has leading or trailing spaces: remove them"
    if len(group) > MAX_NAME_LENGTH:
        yield "is longer than %d characters" % MAX_NAME_LENGTH
    if group.startswith("-"):
        yield "starts with \"-\": AD group names may not start with '-'"
    if group.upper() == "ALL":
        yield "is the sudoers reserved word ALL: name a real AD group"
    for char in group:
        if char == " " or (char.isalnum() and not char.isspace()) or char in GROUP_PUNCTUATION_OK:
            continue
        if char.isspace():
            yield "contains a non-ASCII space: use a plain space"
        reason = GROUP_CHAR_REASONS.get(
            char, "only letters, digits, spaces and . _ - ' & $ are accepted"
        )
        yield "contains %s: %s" % (
            quote(char),
            reason.format(domain=labels["domain"], fq=labels["fully_qualified"]),
        )


def check_group(label, group, labels):
    """Return the error for one AD group name, or None."""
    return _first(label, group, _group_problems(group, labels))


def _user_problems(user):
    if not isinstance(user, str):
        yield "is not a string: give a local account name, e.g. ansible-automation"
        return
    if not user:
        yield "is empty: give a local account name, e.g. ansible-automation"
        return
    yield from _control_problems(user)
    if user.upper() == "ALL":
        yield "is the sudoers reserved word ALL: name one account"
    if len(user) > MAX_LOCAL_USER_LENGTH:
        yield "is longer than %d characters, which useradd refuses" % MAX_LOCAL_USER_LENGTH
    if not LOCAL_USER_RE.match(user):
        yield (
            "is not a local account name: lower-case letters, digits, '_' and '-', starting "
            "with a letter or '_' (no '@': AD users get their rights through their groups)"
        )


def check_user(label, user):
    """Return the error for one local account name, or None."""
    return _first(label, user, _user_problems(user))


def _domain_problems(domain):
    if not isinstance(domain, str):
        yield "must be a string"
        return
    yield from _control_problems(domain)
    parts = domain.split(".")
    if len(domain) > 253 or not all(DOMAIN_LABEL_RE.match(part) for part in parts):
        yield "is not a DNS domain name: use the realm in lower case, e.g. example.test"


def check_domain(label, domain):
    """Return the error for the AD DNS domain, or None."""
    return _first(label, domain, _domain_problems(domain))


def _runas_problems(runas):
    if not isinstance(runas, str):
        yield "is not a string: use ALL, ALL:ALL, root or user:group"
        return
    yield from _control_problems(runas)
    parts = runas.split(":")
    if len(parts) > 2:
        yield "has more than one ':': use user or user:group"
    for part in parts:
        if not part:
            yield "has an empty user or group: use ALL, ALL:ALL or root"
        if part != "ALL" and not RUNAS_NAME_RE.match(part):
            yield (
                "has %s, which is neither ALL nor a user or group name (letters, digits, "
                ". _ - @); lists and negation are not supported" % quote(part)
            )


def parse_runas(label, runas):
    """Return ((user, group or None), None) or (None, error). Accepts 'user' or 'user:group'."""
    error = _first(label, runas, _runas_problems(runas))
    if error:
        return None, error
    user, _sep, group = runas.partition(":")
    return (user, group or None), None


def _path_problems(path):
    if path.endswith("/"):
        yield "ends with '/': a directory would allow every program in it"
    for char in path:
        if char in PATH_CHAR_REASONS:
            yield "contains %s: %s" % (quote(char), PATH_CHAR_REASONS[char])
    for part in path[1:].split("/"):
        if part in ("", ".", ".."):
            yield "is not a normalized absolute path: remove '//', '.' and '..'"
        if not PATH_COMPONENT_RE.match(part):
            yield "has %s: path parts have letters, digits and . _ + @ - only" % quote(part)
    if os.path.basename(path) == "sudoedit":
        yield "names sudoedit by path: write sudoedit without a path"


def _arg_problems(args):
    if args == ['""']:
        return
    for arg in args:
        if "\\" in arg:
            yield "contains a backslash: arguments are matched literally, drop it"
        if '"' in arg:
            yield 'contains \'"\': only a lone "" (meaning: no arguments) is accepted'


def _name_problems(program):
    if program.startswith("!"):
        yield "starts with '!': negated commands are not supported"
    if program.startswith("-"):
        yield "starts with '-': a command name may not start with '-'"
    if "/" in program:
        yield "is a relative path: give an absolute path or a bare name"
    for char in program:
        if not (char.isalnum() or char in "._+-"):
            yield "contains %s: command names have letters, digits and . _ + - only" % quote(char)
    if not PROGRAM_NAME_RE.match(program):
        yield "is not a command name: use letters, digits and . _ + -"


def _alias_ref_problems(program, args, labels, alias_names, in_alias):
    if in_alias:
        yield "refers to an alias inside an alias: list the commands instead"
    if program not in alias_names:
        yield "is not defined in %s: define it or use a command" % labels["command_aliases"]
    if args:
        yield "passes arguments to an alias: aliases take no arguments"


def _command_problems(text, labels, alias_names, in_alias):
    if not isinstance(text, str):
        yield "is not a string: give a command name, path, alias or ALL"
        return
    if not text.strip():
        yield "is empty: give a command name, path, alias or ALL"
        return
    yield from _control_problems(text)
    words = text.split()
    program, args = words[0], words[1:]
    if program == "ALL":
        if in_alias:
            yield "puts ALL inside an alias: put ALL in the rule instead"
        if args:
            yield "passes arguments to ALL: ALL takes no arguments"
        return
    if ALIAS_RE.match(program):
        yield from _alias_ref_problems(program, args, labels, alias_names, in_alias)
        return
    yield from _arg_problems(args)
    if program.startswith("/"):
        yield from _path_problems(program)
    elif program == "sudoedit":
        if not args or args == ['""'] or not all(arg.startswith("/") for arg in args):
            yield "needs the absolute paths of the files sudoedit may edit"
    else:
        yield from _name_problems(program)


def _classify(label, text):
    words = text.split()
    program, args = words[0], words[1:]
    command = {"label": label, "text": text}
    if program == "ALL":
        return dict(command, kind="all")
    if ALIAS_RE.match(program):
        return dict(command, kind="alias", name=program)
    kind = "sudoedit" if program == "sudoedit" else "command"
    no_args = args == ['""']
    return dict(command, kind=kind, program=program, args=[] if no_args else args, no_args=no_args)


def parse_command(label, text, labels, alias_names, in_alias):
    """Return (command, None) or (None, error). Commands are dicts with a 'kind'."""
    error = _first(label, text, _command_problems(text, labels, alias_names, in_alias))
    if error:
        return None, error
    return _classify(label, text), None


def _file_path_problems(path):
    if not isinstance(path, str) or not path.startswith("/"):
        yield "must be an absolute path, e.g. /etc/sudoers.d/ssm-runas"
        return
    yield from _control_problems(path)
    if os.path.normpath(path) != path:
        yield "is not a normalized path"
    if path == "/etc/sudoers":
        yield "is /etc/sudoers, which is never managed: use a file in /etc/sudoers.d"
    name = os.path.basename(path)
    if os.path.dirname(path) == "/etc/sudoers.d" and ("." in name or name.endswith("~")):
        yield "would be skipped by sudo: names in /etc/sudoers.d may not have '.' or end in '~'"


def check_file_path(label, path):
    return _first(label, path, _file_path_problems(path))


def _header_problems(header):
    if not isinstance(header, str):
        yield "must be a string"
        return
    for char in header:
        if char != "\n" and _bad_character(char):
            yield "contains %s" % _bad_character(char)
    if "\\" in header:
        yield "contains a backslash: it could continue a sudoers line"


def check_header(label, header):
    return _first(label, header, _header_problems(header))
