# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edit keys of INI files (sssd.conf, realmd.conf) in place, keeping every other line.

Text in, text out: comments, unknown keys, other sections and the order of lines survive;
only the keys asked for are set (or removed when their value is None). ensure_ini writes the
result through the module that calls it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.federated.ssm_runas.plugins.module_utils.atomic_file import write_file

_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s*$")
_KEY = re.compile(r"^\s*(?P<key>[^=#;\s][^=]*?)\s*=\s*(?P<value>.*?)\s*$")


class IniError(ValueError):
    """A setting that cannot be written safely; the message names it."""


def render_value(value):
    """SSSD and realmd spell booleans True/False; lists are comma separated."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (list, tuple)):
        return ", ".join(render_value(v) for v in value)
    return str(value)


def check_settings(settings, label="settings"):
    """Raise IniError for section names, keys or values that would break the file."""
    if not isinstance(settings, dict):
        raise IniError("%s must be a mapping of section to keys" % label)
    for section, keys in settings.items():
        if not section or any(c in section for c in "[]\n\r"):
            raise IniError(
                "%s section %r: a section name may not be empty or contain [, ] or a newline"
                % (label, section)
            )
        if not isinstance(keys, dict):
            raise IniError("%s[%r] must be a mapping of key to value" % (label, section))
        for key, value in keys.items():
            if not re.match(r"^[A-Za-z0-9_.-]+$", str(key)):
                raise IniError(
                    "%s[%r] key %r: use letters, digits, '_', '.' or '-'" % (label, section, key)
                )
            if value is not None and any(c in render_value(value) for c in "\n\r"):
                raise IniError(
                    "%s[%r][%r]: a value may not contain a newline" % (label, section, key)
                )


def _sections(lines):
    """Yield (name, start, end) for each section; end is exclusive. Preamble has name None."""
    bounds = []
    current, start = None, 0
    for index, line in enumerate(lines):
        match = _SECTION.match(line)
        if match:
            bounds.append((current, start, index))
            current, start = match.group("name").strip(), index
    bounds.append((current, start, len(lines)))
    return bounds


def apply_settings(text, settings):
    """Return (new_text, changes) with settings {section: {key: value or None}} applied.

    changes is a list of human-readable strings such as ``[domain/x] a: 'old' -> 'new'``.
    The first occurrence of a key is rewritten in place, later duplicates are dropped (the
    last one would win in SSSD otherwise). Missing keys go to the end of their section;
    missing sections are appended to the file.
    """
    check_settings(settings)
    lines = text.splitlines()
    changes = []
    for section, keys in settings.items():
        bounds = [b for b in _sections(lines) if b[0] == section]
        if not bounds:
            wanted = [(k, v) for k, v in keys.items() if v is not None]
            if not wanted:
                continue
            while lines and not lines[-1].strip():
                lines.pop()
            if lines:
                lines.append("")
            lines.append("[%s]" % section)
            for key, value in wanted:
                lines.append("%s = %s" % (key, render_value(value)))
                changes.append("[%s] %s: (absent) -> %r" % (section, key, render_value(value)))
            continue
        _name, start, end = bounds[0]
        body = lines[start + 1 : end]
        for key, value in keys.items():
            body, change = _set_key(body, section, key, value)
            if change:
                changes.append(change)
        lines[start + 1 : end] = body
    new_text = "\n".join(lines) + ("\n" if lines else "")
    return new_text, changes


def _set_key(body, section, key, value):
    found = [i for i, line in enumerate(body) if _key_of(line) == key.lower()]
    new_line = None if value is None else "%s = %s" % (key, render_value(value))
    if not found:
        if new_line is None:
            return body, None
        insert_at = len(body)
        while insert_at > 0 and not body[insert_at - 1].strip():
            insert_at -= 1
        body = [*body[:insert_at], new_line, *body[insert_at:]]
        return body, "[%s] %s: (absent) -> %r" % (section, key, render_value(value))
    old_value = _KEY.match(body[found[0]]).group("value")
    if new_line is None:
        body = [line for i, line in enumerate(body) if i not in found]
        return body, "[%s] %s: %r -> (absent)" % (section, key, old_value)
    same = old_value == render_value(value) and len(found) == 1
    if same:
        return body, None
    body = list(body)
    body[found[0]] = new_line
    body = [line for i, line in enumerate(body) if i not in found[1:]]
    return body, "[%s] %s: %r -> %r" % (section, key, old_value, render_value(value))


def _key_of(line):
    match = _KEY.match(line)
    if not match or _SECTION.match(line):
        return None
    return match.group("key").lower()


def ensure_ini(module, path, settings, mode, create=True):
    """Apply settings to the file at path with mode; returns (changed, changes, diff or None).

    module is the AnsibleModule (check mode, atomic move, file attributes); IniError names a
    setting or file it refuses. Writes only when the text differs.
    """
    exists = os.path.exists(path)
    if not exists and not create:
        raise IniError("the file does not exist (create=false)")
    before = ""
    if exists:
        with open(path, encoding="utf-8") as handle:
            before = handle.read()
    after, changes = apply_settings(before, settings)
    changed = after != before
    diff = None
    if changed:
        diff = dict(before=before, after=after, before_header=path, after_header=path)
    if changed and not module.check_mode:
        # A new file is owner-only until mode is applied below; an existing one keeps its owner.
        write_file(module, path, after.encode("utf-8"), 0o600)
    if not module.check_mode or exists:
        file_args = module.load_file_common_arguments(dict(path=path, mode=mode))
        changed = module.set_fs_attributes_if_different(file_args, changed)
    return changed, changes, diff
