# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sudoers file text for a validated (and, on a host, resolved) spec."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DEFAULT_HEADER = (
    "Ansible managed: federated.ssm_runas.sudoers_file\n"
    "Sudo rules for AD groups. Manual changes will be overwritten."
)

# Escaped in arguments so they match literally (sudoers(5): ',', ':', '=' must be escaped;
# '#' would start a comment; glob characters would widen the match).
ARG_ESCAPES = frozenset(",:=#*?[]")


def render_group(group, domain, fully_qualified):
    """%group[@domain], double-quoted when it has spaces (sudoers(5): prefix inside quotes)."""
    name = "%s@%s" % (group, domain) if fully_qualified else group
    token = "%" + name
    if " " in token:
        return '"%s"' % token
    return token


def render_who(rule, domain, fully_qualified):
    """A local account as its bare name (validated: no sudoers syntax), else the AD group."""
    if rule.get("user") is not None:
        return rule["user"]
    return render_group(rule["group"], domain, fully_qualified)


def escape_arg(arg):
    out = []
    for index, char in enumerate(arg):
        if char in ARG_ESCAPES or (index == 0 and char == "^"):
            out.append("\\")
        out.append(char)
    return "".join(out)


def render_command(command):
    kind = command["kind"]
    if kind == "all":
        return "ALL"
    if kind == "alias":
        return command["name"]
    text = command["program"]
    if command.get("no_args"):
        return text + ' ""'
    if command["args"]:
        text += " " + " ".join(escape_arg(arg) for arg in command["args"])
    return text


def render_runas(runas):
    user, group = runas
    if group is None:
        return "(%s)" % user
    return "(%s:%s)" % (user, group)


def _unique(items):
    seen = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def render(spec, header=DEFAULT_HEADER):
    """The sudoers file text for a validated (and, on a host, resolved) spec."""
    lines = ["# " + line if line else "#" for line in header.split("\n")]
    if spec["aliases"]:
        lines.append("")
    for alias in spec["aliases"]:
        commands = _unique(render_command(c) for c in alias["commands"])
        lines.append("Cmnd_Alias %s = %s" % (alias["name"], ", ".join(commands)))
    if spec["rules"]:
        lines.append("")
    for rule in spec["rules"]:
        commands = _unique(render_command(c) for c in rule["commands"])
        tag = "NOPASSWD: " if rule["nopasswd"] else ""
        lines.append(
            "%s ALL=%s %s%s"
            % (
                render_who(rule, spec["domain"], spec["fully_qualified"]),
                render_runas(rule["runas"]),
                tag,
                ", ".join(commands),
            )
        )
    return "\n".join(lines) + "\n"
