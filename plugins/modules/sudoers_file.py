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

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_file_main import (  # noqa: E402
    ARGUMENT_SPEC,
    run,
)


def main():
    run(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True))


if __name__ == "__main__":
    main()
