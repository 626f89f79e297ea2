# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where this collection writes on the controller (export scripts, rule-set backups, reports).

One rule, used by the output_dir lookup (the defaults) and by the plugins that write (a path a
user gave them): outputs go to a directory of the user's, never inside an installed collection,
which the next `ansible-galaxy collection install` replaces and which may be read-only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

DEFAULT_DIRNAME = "ssm-runas-output"
# What an inventory source's name may keep as a directory name; anything else is "inventory".
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_INVENTORY_EXTENSIONS = (".yml", ".yaml", ".ini", ".json", ".cfg", ".py", ".sh", ".toml")


class OutputDirError(ValueError):
    pass


def inventory_name(sources):
    """The name of the first inventory source: 'prod' for inventories/prod or prod.yml."""
    if isinstance(sources, str):
        sources = [sources]
    if not sources:
        return "inventory"
    name = os.path.basename(os.path.normpath(str(sources[0])))
    stem, ext = os.path.splitext(name)
    if ext.lower() in _INVENTORY_EXTENSIONS:
        name = stem
    return name if _NAME.match(name) else "inventory"


def installed_collection(path):
    """'namespace.name' of the installed collection whose tree holds path, or None.

    Installed means the directory ansible_collections/<namespace>/<name> has the MANIFEST.json
    that `ansible-galaxy collection install` writes; a source checkout has galaxy.yml instead.
    """
    parts = os.path.realpath(path).split(os.sep)
    for i, part in enumerate(parts[:-2]):
        if part == "ansible_collections":
            root = os.sep.join(parts[: i + 3])
            if os.path.isfile(os.path.join(root, "MANIFEST.json")):
                return "%s.%s" % (parts[i + 1], parts[i + 2])
    return None


def check_outside_collections(path, what, fix):
    """Raise OutputDirError when path lies inside an installed collection.

    what names the path as the user knows it, fix says what to do instead.
    """
    collection = installed_collection(path)
    if collection:
        raise OutputDirError(
            "%s %s is inside the installed collection %s, which the next install replaces and "
            "which may be read-only: %s" % (what, path, collection, fix)
        )


def resolve(subdirs, root=None, sources=None, cwd=None):
    """Absolute <root>/<subdir> for each subdir (the root itself when there is none).

    root defaults to <cwd>/ssm-runas-output/<inventory name>; a relative root is taken from cwd.
    """
    cwd = cwd or os.getcwd()
    if root:
        base = os.path.normpath(os.path.join(cwd, os.path.expanduser(str(root))))
        check_outside_collections(base, "ssm_runas_output_dir", "set it to a directory of your own")
    else:
        base = os.path.normpath(os.path.join(cwd, DEFAULT_DIRNAME, inventory_name(sources)))
        check_outside_collections(
            base,
            "The default output directory (%s/<inventory> in the current directory)"
            % DEFAULT_DIRNAME,
            "run ansible-playbook from another directory, or set ssm_runas_output_dir",
        )
    paths = []
    for sub in subdirs or [""]:
        path = os.path.normpath(os.path.join(base, str(sub)))
        if os.path.isabs(str(sub)) or not (path == base or path.startswith(base + os.sep)):
            raise OutputDirError("output sub-directory %r leaves %s" % (sub, base))
        paths.append(path)
    return paths
