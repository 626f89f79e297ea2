# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sudoers_file module's main, as a step that federated.ssm_runas.host_steps can also run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.federated.ssm_runas.plugins.module_utils.atomic_file import (
    move_into_place,
    write_file,
    write_temp,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers import build
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_host import (
    detect_sudo,
    find_visudo,
    group_entry,
    read_text,
    sudo_rs_policy,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_sudo_rs import (
    SUDO_RS,
    big_group_warnings,
    included,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_values import (
    SudoersError,
    check_file_path,
    labels_for,
)

ARGUMENT_SPEC = {
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "path": {"type": "path", "default": "/etc/sudoers.d/ssm-runas"},
    "domain": {"type": "str", "default": ""},
    "fully_qualified": {"type": "bool", "default": True},
    "command_aliases": {"type": "dict", "default": {}},
    "rules": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "mutually_exclusive": [["group", "user"]],
        "required_one_of": [["group", "user"]],
        "options": {
            "group": {"type": "str"},
            "user": {"type": "str"},
            "runas": {"type": "str", "default": "ALL"},
            "nopasswd": {"type": "bool", "default": False},
            "commands": {"type": "list", "elements": "str", "required": True},
        },
    },
    "missing_commands": {"type": "str", "choices": ["fail", "warn"], "default": "fail"},
    "header": {"type": "str"},
    "var_prefix": {"type": "str", "default": ""},
    "var_names": {"type": "dict", "default": {}},
}

MODE = 0o440
OWNER = 0
GROUP = 0


def read_current(path):
    """(bytes or None, (mode, uid, gid) or None) of the file as it is now."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
            stat = os.fstat(handle.fileno())
    except FileNotFoundError:
        return None, None
    return data, (stat.st_mode & 0o7777, stat.st_uid, stat.st_gid)


def text_of(data):
    return "" if data is None else data.decode("utf-8", "replace")


def run_visudo(module, visudo, args):
    rc, out, err = module.run_command([visudo, *args])
    return rc, (out + err).strip()


def check_candidate(module, visudo, data, directory):
    """The checked candidate: a 0440 root:root file whose name has a '.' (sudo skips it)."""
    temp = write_temp(directory, data, MODE, owner=OWNER, group=GROUP, prefix=".sudoers-")
    rc, out = run_visudo(module, visudo, ["-cf", temp])
    if rc != 0:
        os.unlink(temp)
        module.fail_json(
            msg="visudo rejected the rendered rules: %s" % out, content=data.decode("utf-8")
        )
    return temp


def policy_ok(module, visudo):
    return run_visudo(module, visudo, ["-c"])


def install(module, visudo, path, data, before, *, sudo):
    """Validate, rename into place, re-check the whole policy; roll back if we broke it."""
    content = data.decode("utf-8")
    pre_rc, _pre_out = policy_ok(module, visudo)
    temp = check_candidate(module, visudo, data, os.path.dirname(path))
    move_into_place(module, temp, path, MODE, owner=OWNER, group=GROUP, keep_dest_attrs=False)
    post_rc, post_out = policy_ok(module, visudo)
    if post_rc != 0 and pre_rc == 0:
        if before is None:
            os.unlink(path)
        else:
            write_file(module, path, before, MODE, owner=OWNER, group=GROUP, keep_dest_attrs=False)
        module.fail_json(
            msg="the sudo policy is invalid with the new %s, so the old state was put back: %s"
            % (path, post_out),
            content=content,
        )
    if post_rc != 0:
        module.fail_json(
            msg="%s was written, but the sudo policy was already invalid before and still is: %s"
            % (path, post_out),
            changed=True,
            content=content,
        )
    if sudo["implementation"] == SUDO_RS:
        # sudo-rs's visudo -c names only the main file: follow its includes instead.
        policy = sudo_rs_policy()
        if not included(read_text, policy, path):
            module.warn("%s is not included by %s: its rules have no effect" % (path, policy))
    elif post_rc == 0 and "%s: parsed OK" % path not in post_out:
        module.warn("%s is not included by /etc/sudoers: its rules have no effect" % path)


def present(module, labels):
    params = module.params
    sudo = detect_sudo(module, params["path"])
    try:
        result = build(params, labels=labels, sudo_rs=sudo["sudo_rs"])
    except SudoersError as error:
        module.fail_json(msg="; ".join(error.errors), errors=error.errors, sudo=sudo)
    visudo = find_visudo(module, sudo)
    warnings = result["warnings"]
    if sudo["sudo_rs"]:
        warnings = warnings + big_group_warnings(result["spec"], group_entry, sudo["sudo_rs"])
    for warning in warnings:
        module.warn(warning)
    path, content = params["path"], result["content"]
    data = content.encode("utf-8")
    before, attrs = read_current(path)
    changed = before != data or attrs != (MODE, OWNER, GROUP)
    if changed and not os.path.isdir(os.path.dirname(path)):
        module.fail_json(msg="%s does not exist: is sudo installed?" % os.path.dirname(path))
    if changed and module.check_mode:
        # Same visudo verdict as a real run, without touching the target directory.
        os.unlink(check_candidate(module, visudo, data, module.tmpdir))
    elif changed:
        install(module, visudo, path, data, before, sudo=sudo)
    module.exit_json(
        changed=changed,
        path=path,
        content=content,
        resolved_commands=result["resolved"],
        skipped_commands=result["skipped"],
        sudo=sudo,
        diff={
            "before": text_of(before),
            "after": content,
            "before_header": path,
            "after_header": path,
        },
    )


def absent(module):
    path = module.params["path"]
    before, _attrs = read_current(path)
    if before is not None and not module.check_mode:
        os.unlink(path)
    module.exit_json(
        changed=before is not None,
        path=path,
        content="",
        diff={"before": text_of(before), "after": "", "before_header": path, "after_header": path},
    )


def run(module):
    labels = labels_for(module.params["var_prefix"], module.params["var_names"])
    error = check_file_path(labels["path"], module.params["path"])
    if error:
        module.fail_json(msg=error)
    if module.params["state"] == "absent":
        absent(module)
    present(module, labels)
