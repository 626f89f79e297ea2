#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: sudoers_file
short_description: One sudoers drop-in file with sudo rules for AD groups or local accounts
version_added: 0.1.0
description:
  - Renders command aliases and rules per AD group (or per local account) into one file in
    C(/etc/sudoers.d), resolving command names to the absolute path that exists on the host.
  - Every input is checked before anything is written; values that could inject sudoers
    syntax are rejected with a message naming the option and the value.
  - The candidate is checked with C(visudo -cf) in a temporary file in the same directory and
    then renamed over the old file, mode C(0440), owner C(root:root), only when the content,
    mode or owner differ. After the rename the whole policy is checked with C(visudo -c); if
    it was valid before and is not now (for example an alias name already defined in another
    file), the old file is put back and the module fails.
  - C(/etc/sudoers) itself is never touched.
author:
  - federated.ssm_runas maintainers (@federated)
options:
  state:
    description:
      - V(present) writes the file, V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  path:
    description:
      - The sudoers drop-in file. Its name may not contain C(.) or end in C(~) in
        C(/etc/sudoers.d), because sudo skips such files there.
    type: path
    default: /etc/sudoers.d/ssm-runas
  domain:
    description:
      - AD domain appended to group names as C(%group@domain) when O(fully_qualified=true).
    type: str
    default: ''
  fully_qualified:
    description:
      - Whether group names are written fully qualified (C(%networkadmins@example.test)), as
        SSSD reports them with C(use_fully_qualified_names), or bare (C(%networkadmins)).
    type: bool
    default: true
  command_aliases:
    description:
      - Mapping of alias name (C([A-Z][A-Z0-9_]*), not a sudoers reserved word) to a list of
        commands. A command is a bare name (resolved on the host), or an absolute path,
        optionally followed by arguments separated by spaces.
      - Arguments are matched literally, sudoers special characters (comma, colon, equals
        sign, hash) and glob characters are escaped. A lone V("") as argument means no
        arguments are allowed. Backslashes and other double quotes are rejected.
    type: dict
    default: {}
  rules:
    description:
      - Rules in file order.
    type: list
    elements: dict
    default: []
    suboptions:
      group:
        description:
          - AD group name without domain and without C(%). Spaces are allowed.
          - A rule names either O(rules[].group) or O(rules[].user).
        type: str
      user:
        description:
          - A local account name (lower-case letters, digits, C(_) and C(-)), written bare,
            for example the account automation starts its sessions as.
          - A rule names either O(rules[].group) or O(rules[].user).
        type: str
        version_added: 0.2.0
      runas:
        description:
          - V(ALL), a user, or C(user:group) (V(ALL:ALL), V(root:root)).
        type: str
        default: ALL
      nopasswd:
        description:
          - Whether the group may run the commands without a password.
        type: bool
        default: false
      commands:
        description:
          - Command names, absolute paths (with optional arguments), names of
            O(command_aliases), V(ALL), or C(sudoedit /path/to/file).
        type: list
        elements: str
        required: true
  missing_commands:
    description:
      - What to do when a command does not exist on the host.
      - V(fail) fails the task and names every missing command.
      - V(warn) leaves the command out with a warning; an alias or rule left without
        commands is left out too, with a warning.
    type: str
    choices: [fail, warn]
    default: fail
  header:
    description:
      - Comment written at the top of the file, one C(#) line per line.
    type: str
  var_prefix:
    description:
      - Prefix put before each option's name in messages, so that a calling role's messages
        name its own variables (C(myrole_rules[2].group)) instead of the options
        (C(rules[2].group)).
    type: str
    default: ''
  var_names:
    description:
      - The caller's own name for particular options in messages, where it is not
        O(var_prefix) plus the option name, for example a mapping of V(path) to V(myrole_file).
    type: dict
    default: {}
    version_added: 0.2.0
notes:
  - Command names are looked up in the fixed path
    C(/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin); the first executable
    file wins. Symlinks are kept as found, so sudo matches the name the user types.
  - Needs C(visudo) on the host (package C(sudo), or C(sudo-rs)) and root privileges.
  - Which sudo reads the rules is found in the same call with C(sudo -V) (the C(sudo) first on
    the path above), plus C(sudo-rs -V) when sudo-rs is installed beside sudo and reads the same
    rules. With sudo-rs (Debian 13's C(sudo-rs) package, Ubuntu 25.10's default sudo) its own
    C(visudo) checks the rules, and what sudo-rs cannot express is refused before anything is
    written, naming the variable and the fix - seen with sudo-rs 0.2.5 - group or user names
    with C(@) (fully-qualified names), spaces or other characters than letters, digits,
    C(.) C(-) C(_), names starting with C(_), C(sudoedit), and arguments with C(*) C(?) C([)
    C(]) or a leading C(^). A group rule sudo-rs will not match because the group has too many
    members for its lookup gets a warning.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - action_common_attributes.files
  - federated.ssm_runas.attributes
attributes:
  check_mode:
    details: Predicts the change exactly, including validation and missing commands.
  diff_mode:
    details: Shows the file text before and after.
  platform:
    details: Linux hosts with sudo.
"""

EXAMPLES = r"""
- name: Sudo rules for AD groups are in place
  federated.ssm_runas.sudoers_file:
    domain: example.test
    command_aliases:
      NW_CMDS: [ip, ss, /usr/bin/systemctl restart systemd-networkd]
    rules:
      - group: NetworkAdmins
        nopasswd: true
        commands: [NW_CMDS]
      - group: Help Desk
        runas: root
        commands: [/usr/bin/systemctl restart nginx, /usr/bin/journalctl ""]
      - group: SysAdmins
        runas: ALL:ALL
        commands: [ALL]
  become: true

- name: Sudo rules for AD groups are removed
  federated.ssm_runas.sudoers_file:
    state: absent
  become: true
"""

RETURN = r"""
path:
  description: The managed file.
  returned: always
  type: str
  sample: /etc/sudoers.d/ssm-runas
content:
  description: The rendered file text (empty for O(state=absent)).
  returned: always
  type: str
  sample: "# Ansible managed ...\n%NetworkAdmins@example.test ALL=(ALL) NOPASSWD: NW_CMDS\n"
resolved_commands:
  description: Each command as given mapped to the absolute path used on this host.
  returned: when O(state=present)
  type: dict
  sample: {ip: /usr/sbin/ip, ss: /usr/bin/ss}
skipped_commands:
  description: Commands left out because they do not exist here (O(missing_commands=warn)).
  returned: when O(state=present)
  type: list
  elements: dict
  contains:
    label:
      description: Where the command was given.
      type: str
      sample: rules[0].commands[2]
    command:
      description: The command as given.
      type: str
      sample: route
    reason:
      description: Why it was left out.
      type: str
      sample: was not found in /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  sample: []
sudo:
  description: The sudo found on the host, which decides how the rules are checked.
  returned: when O(state=present)
  type: dict
  version_added: 0.2.0
  contains:
    path:
      description: The C(sudo) first on the fixed search path, or null when there is none.
      type: str
      sample: /usr/bin/sudo
    implementation:
      description: V(sudo) or V(sudo-rs), from C(sudo -V); null without sudo.
      type: str
      sample: sudo-rs
    version:
      description: Its version.
      type: str
      sample: 0.2.5
    sudo_rs:
      description: The sudo-rs that reads these rules (the sudo itself or one installed beside
        it), whose limits were applied, or null.
      type: str
      sample: sudo-rs 0.2.5 (the sudo on this host)
"""

import os  # noqa: E402 - ansible-test wants the docs before imports

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.federated.ssm_runas.plugins.module_utils.atomic_file import (  # noqa: E402
    move_into_place,
    write_file,
    write_temp,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers import build  # noqa: E402
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_host import (  # noqa: E402
    detect_sudo,
    find_visudo,
    group_entry,
    read_text,
    sudo_rs_policy,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_sudo_rs import (  # noqa: E402
    SUDO_RS,
    big_group_warnings,
    included,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_values import (  # noqa: E402
    SudoersError,
    check_file_path,
    labels_for,
)

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


def main():
    module = AnsibleModule(
        argument_spec={
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
        },
        supports_check_mode=True,
    )
    labels = labels_for(module.params["var_prefix"], module.params["var_names"])
    error = check_file_path(labels["path"], module.params["path"])
    if error:
        module.fail_json(msg=error)
    if module.params["state"] == "absent":
        absent(module)
    present(module, labels)


if __name__ == "__main__":
    main()
