#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: federated.ssm_runas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: runas_probe
short_description: Read what the SSM agent will see for Session Manager run-as user names
version_added: 0.1.0
author:
  - federated.ssm_runas maintainers (@federated)
description:
  - For each name, as the amazon-ssm-agent would receive it in the C(SSMSessionRunAs) tag,
    runs C(id <name>), reads the status of C(/home/<name>) (the agent sets
    C(HOME=/home/<name as given>)), the status of the home of the canonical user name, and
    the output of C(sudo -l -U <name>).
  - Read-only; it never creates or changes anything, so check mode returns the same facts.
  - C(sudo -l -U) needs root, so run it with O(ignore:become=true).
  - Names are passed as single arguments, never through a shell.
options:
  names:
    description:
      - User names to probe, exactly as the run-as tag carries them (for example
        C(bob@example.test)).
      - A name that starts with C(-), contains C(/) or a control character, or is C(.)/C(..)
        is reported as invalid and not probed.
    type: list
    elements: str
    required: true
  home_root:
    description: Directory the agent puts homes under.
    type: path
    default: /home
  sudo:
    description: Also run C(sudo -l -U <name>); needs root.
    type: bool
    default: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - federated.ssm_runas.attributes.info
notes:
  - The agent resolves the run-as user with C(sh -c "id <name>") and starts the shell
    without PAM, so nothing creates a missing home directory.
seealso:
  - name: Session Manager run-as support for Linux
    description: How the run-as tag selects the operating system user.
    link: https://docs.aws.amazon.com/systems-manager/latest/userguide/session-preferences-run-as.html
"""

EXAMPLES = r"""
- name: Run-as names resolve, have homes and sudo rights on this instance
  federated.ssm_runas.runas_probe:
    names:
      - bob@example.test
      - Alice@example.test
  become: true
  register: probe
"""

RETURN = r"""
names:
  description: One entry per probed name.
  returned: always
  type: dict
  sample:
    bob@example.test:
      valid: true
      id:
        ok: true
        rc: 0
        uid: 1385601104
        gid: 1385600513
        user: bob@example.test
        groups: [domain users@example.test, networkadmins@example.test]
        stderr: ""
      home:
        path: /home/bob@example.test
        exists: true
        is_dir: true
        uid: 1385601104
        gid: 1385600513
        mode: "0700"
      passwd_home: /home/bob@example.test
      canonical_home:
        path: /home/bob@example.test
        exists: true
        is_dir: true
        uid: 1385601104
        gid: 1385600513
        mode: "0700"
      sudo:
        rc: 0
        stdout: "User bob@example.test may run the following commands on i1:\n
          (ALL) NOPASSWD: /usr/bin/ip\n"
        stderr: ""
  contains:
    valid:
      description: False when the name was refused without probing (see RV(names.reason)).
      type: bool
    reason:
      description: Why the name was not probed.
      type: str
      returned: when not valid
    id:
      description: Parsed C(id <name>) output; C(ok) is false when the user does not resolve.
      type: dict
    home:
      description: Status of C(<home_root>/<name as given>), the agent's HOME.
      type: dict
    passwd_home:
      description: The home directory NSS reports for the user.
      type: str
    canonical_home:
      description: Status of C(<home_root>/<canonical user name>).
      type: dict
    sudo:
      description: Return code and output of C(sudo -l -U <name>).
      type: dict
"""

import os  # noqa: E402 - ansible-test wants the docs before imports
import pwd  # noqa: E402
import re  # noqa: E402
import stat  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

_ID_PAIR = re.compile(r"(\d+)\(([^)]*)\)")


def invalid_reason(name):
    """Why a name must not be probed, or None."""
    if not name or name in (".", ".."):
        return "empty, '.' or '..'"
    if name.startswith("-"):
        return "starts with '-'"
    if "/" in name:
        return "contains '/'"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "contains a control character"
    return None


def parse_id(text):
    """uid=1(bob) gid=2(users) groups=2(users),3(wheel) -> dict."""
    out = {"uid": None, "gid": None, "user": None, "group": None, "groups": []}
    for field in ("uid", "gid"):
        match = re.search(r"\b%s=(\d+)(?:\(([^)]*)\))?" % field, text)
        if match:
            out[field] = int(match.group(1))
            out["user" if field == "uid" else "group"] = match.group(2)
    groups = text.partition("groups=")[2]
    out["groups"] = [pair[1] for pair in _ID_PAIR.findall(groups)]
    return out


def stat_path(path):
    try:
        info = os.lstat(path)
    except OSError:
        return {"path": path, "exists": False}
    return {
        "path": path,
        "exists": True,
        "is_dir": stat.S_ISDIR(info.st_mode),
        "is_link": stat.S_ISLNK(info.st_mode),
        "uid": info.st_uid,
        "gid": info.st_gid,
        "mode": "%04o" % stat.S_IMODE(info.st_mode),
    }


def probe_id(module, id_bin, name):
    rc, out, err = module.run_command([id_bin, name])
    result = {"rc": rc, "ok": rc == 0, "stderr": err.strip()}
    if rc == 0:
        result.update(parse_id(out))
    return result


def probe_sudo(module, sudo_bin, name):
    if sudo_bin is None:
        return {"rc": None, "stdout": "", "stderr": "", "msg": "sudo is not installed"}
    rc, out, err = module.run_command([sudo_bin, "-n", "-l", "-U", name])
    return {"rc": rc, "stdout": out, "stderr": err}


def probe(module, name, home_root, id_bin, sudo_bin):
    reason = invalid_reason(name)
    if reason:
        return {"valid": False, "reason": reason}
    result = {"valid": True, "id": probe_id(module, id_bin, name)}
    result["home"] = stat_path(os.path.join(home_root, name))
    canonical = result["id"].get("user") if result["id"]["ok"] else None
    try:
        result["passwd_home"] = pwd.getpwnam(canonical or name).pw_dir
    except KeyError:
        result["passwd_home"] = None
    if canonical and invalid_reason(canonical) is None:
        result["canonical_home"] = stat_path(os.path.join(home_root, canonical))
    if module.params["sudo"] and result["id"]["ok"]:
        result["sudo"] = probe_sudo(module, sudo_bin, name)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            names=dict(type="list", elements="str", required=True),
            home_root=dict(type="path", default="/home"),
            sudo=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    id_bin = module.get_bin_path("id", required=True)
    sudo_bin = module.get_bin_path("sudo") if module.params["sudo"] else None
    names = {}
    for name in dict.fromkeys(module.params["names"]):
        names[name] = probe(module, name, module.params["home_root"], id_bin, sudo_bin)
    module.exit_json(changed=False, names=names)


if __name__ == "__main__":
    main()
