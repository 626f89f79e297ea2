# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the sudoers_file module asks the host: which sudo runs (sudo -V), its visudo, group
entries. Deciding is left to sudoers_sudo_rs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os

from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_resolve import (
    find_program,
    is_executable,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_sudo_rs import (
    SUDO_RS,
    SUDO_RS_POLICIES,
    identify,
    included,
)


def read_text(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return None


def sudo_rs_policy():
    return next((p for p in SUDO_RS_POLICIES if os.path.exists(p)), SUDO_RS_POLICIES[-1])


def sudo_version(module, program):
    # sudo prints its version on stdout, sudo-rs on stderr.
    _rc, out, err = module.run_command([program, "-V"])
    return identify(out + "\n" + err), (out + err).strip()


def detect_sudo(module, path):
    """The sudo on the fixed search path and, when sudo-rs reads the rules at path, which."""
    sudo = {"path": find_program("sudo"), "implementation": None, "version": None}
    sudo["sudo_rs"] = None
    if sudo["path"] is None:
        return sudo
    found, said = sudo_version(module, sudo["path"])
    if found is None:
        module.fail_json(
            msg="cannot tell which sudo %s is: `%s -V` said %r, neither 'Sudo version' nor "
            "'sudo-rs'" % (sudo["path"], sudo["path"], said[:200])
        )
    sudo["implementation"], sudo["version"] = found
    if found[0] == SUDO_RS:
        sudo["sudo_rs"] = "sudo-rs %s (the sudo on this host)" % found[1]
        return sudo
    beside = find_program("sudo-rs")
    if beside and included(read_text, sudo_rs_policy(), path):
        other, _said = sudo_version(module, beside)
        if other and other[0] == SUDO_RS:
            sudo["sudo_rs"] = "sudo-rs %s (%s, which reads these rules too)" % (other[1], beside)
    return sudo


def find_visudo(module, sudo):
    """The visudo of the sudo in use: sudo-rs's beside its binary, else visudo on the path."""
    if sudo["implementation"] == SUDO_RS:
        own = os.path.join(os.path.dirname(os.path.realpath(sudo["path"])), "visudo")
        if is_executable(own):
            return own
        visudo = module.get_bin_path("visudo-rs")
        if visudo is None:
            module.fail_json(msg="sudo-rs's visudo (visudo-rs) was not found on this host")
        return visudo
    visudo = module.get_bin_path("visudo", opt_dirs=["/usr/sbin", "/sbin"])
    if visudo is None:
        module.fail_json(msg="visudo was not found on this host: install the sudo package")
    return visudo


def group_entry(name):
    try:
        entry = grp.getgrnam(name)
    except KeyError:
        return None
    return entry.gr_name, entry.gr_passwd or "", list(entry.gr_mem)
