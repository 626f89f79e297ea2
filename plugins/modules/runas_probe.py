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
  - For each name, as the amazon-ssm-agent would receive it in the C(SSMSessionRunAs) tag
    or as the preferences' C(runAsDefaultUser), replays the agent's own resolution of the
    user step by step (RV(names.agent)), runs C(id <name>), reads the status of
    C(/home/<name>) (the agent sets C(HOME=/home/<name as given>)), the status of the home
    of the canonical user name, and the output of C(sudo -l -U <name>).
  - The agent runs C(sh -c "id <name>"), C(sh -c "id -u <name>"), C(sh -c "id -g <name>") and
    C(sh -c "id <name>") with the name unquoted, and parses the output itself. The replay runs
    the same C(id) commands with the name split at spaces as C(sh) splits it, never through a
    shell, and applies the agent's parsing and checks, so it ends where the agent ends - with the
    uid, gid and group ids the session gets, or with the agent's own error.
  - Also reads the agent's own account (O(agent_user)), which the agent creates with
    passwordless sudo whenever a session starts while run-as is off - whether it exists, what
    C(sudo -l) shows for it and the rules of O(agent_sudoers).
  - Also reads the state file that C(ssm-runas-enrol.service) leaves on an instance that
    enrolled itself at launch (O(enrol_state)) - absent on an instance configured from the
    controller - and checks its shape (RV(enrolment)).
  - Read-only; it never creates or changes anything, so check mode returns the same facts.
  - C(sudo -l -U) needs root, so run it with O(ignore:become=true).
  - Nothing runs through a shell; apart from the replay, every command gets the name as one
    argument.
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
  agent_user:
    description: The account the SSM agent creates for sessions while run-as is off.
    type: str
    default: ssm-user
    version_added: 0.2.0
  agent_sudoers:
    description: The sudoers file the agent writes for O(agent_user).
    type: path
    default: /etc/sudoers.d/ssm-agent-users
    version_added: 0.2.0
  enrol_state:
    description: The state file C(ssm-runas-enrol.service) writes after each enrolment attempt.
    type: path
    default: /var/lib/ssm-runas-enrol/enrolled.json
    version_added: 0.2.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - federated.ssm_runas.attributes.info
notes:
  - The agent resolves the run-as user with C(sh -c "id <name>") and starts the shell
    without PAM, so nothing creates a missing home directory.
  - The C(id) commands run in the module's locale; an agent whose service runs in a locale that
    translates C(id)'s C(groups=) label parses no supplementary groups at all.
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
      agent:
        name: bob@example.test
        words: [bob@example.test]
        ok: true
        step: null
        error: null
        uid: 1385601104
        gid: 1385600513
        groups: [1385600513, 1385601105]
        calls:
          - step: exists
            argv: [/usr/bin/id, bob@example.test]
            rc: 0
            stdout: "uid=1385601104(bob@example.test) gid=1385600513(domain users@example.test)
              groups=1385600513(domain users@example.test),1385601105(networkadmins@example.test)\n"
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
    agent:
      description:
        - The agent's resolution of the name, replayed (the sample lists only its first call).
      type: dict
      version_added: 0.2.0
      contains:
        words:
          description: The arguments C(sh) hands to C(id) for the unquoted name; null when not run.
          type: list
          elements: str
        ok:
          description: True when the agent would start the session with these credentials.
          type: bool
        step:
          description:
            - Where the agent stops; null when it does not.
            - C(tag) (not a valid session tag value, so never replayed), C(name) (empty),
              C(exists) (C(id <name>) fails), C(uid) (C(id -u)), C(gid) (C(id -g)), C(groups)
              (C(id <name>) again, each C(groups=) entry parsed), C(credentials) (uid or gid 0).
          type: str
        error:
          description: The agent's own error text at that step (the session shows it after
            C(Unable to start command:)).
          type: str
        entry:
          description: The C(groups=) entry the agent could not parse (step C(groups)).
          type: str
          returned: when a group entry failed
        uid:
          description: The uid the agent read, once read.
          type: int
        gid:
          description: The gid the agent read, once read.
          type: int
        groups:
          description: The group ids the agent passes to setgroups, once all were parsed.
          type: list
          elements: int
        calls:
          description: Every C(id) run, in order - C(step), C(argv), C(rc), C(stdout), C(stderr).
          type: list
          elements: dict
agent_user:
  description: The agent's own account (O(agent_user)) on this instance.
  returned: always
  type: dict
  version_added: 0.2.0
  sample:
    name: ssm-user
    id: {ok: true, rc: 0, uid: 1001, gid: 1001, user: ssm-user, groups: [ssm-user]}
    sudo:
      rc: 0
      stdout: "User ssm-user may run the following commands on i1:\n    (ALL) NOPASSWD: ALL\n"
      stderr: ""
    sudoers_file:
      path: /etc/sudoers.d/ssm-agent-users
      exists: true
      rules: ["ssm-user ALL=(ALL) NOPASSWD:ALL"]
  contains:
    name:
      description: The account name probed.
      type: str
    id:
      description: Parsed C(id <agent_user>); C(ok) is false when it does not exist.
      type: dict
    sudo:
      description: C(sudo -l -U <agent_user>), when it exists and O(sudo=true).
      type: dict
      returned: when the account exists
    sudoers_file:
      description:
        - O(agent_sudoers) - whether it exists and its lines that are not comments, or
          C(error) when it could not be read.
      type: dict
enrolment:
  description:
    - O(enrol_state), the instance's own enrolment at launch - C(exists) false when the
      instance was configured from the controller.
  returned: always
  type: dict
  version_added: 0.2.0
  sample:
    path: /var/lib/ssm-runas-enrol/enrolled.json
    exists: true
    state:
      version: 1
      result: converged
      bundle_sha256: 4f2a9c0e1b7d3a5f6e8c9b0a1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e
      bundle_key: >-
        ssm-runas/bundles/4f2a9c0e1b7d3a5f6e8c9b0a1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e.tar.gz
      last_attempt_at: "2026-12-03T17:02:11Z"
      enrolled_at: "2026-12-03T17:02:11Z"
      reason: null
  contains:
    path:
      description: The file read.
      type: str
    exists:
      description: False when there is no such file.
      type: bool
    state:
      description:
        - The file's content when it is the enrolment state - C(version) (1), C(result)
          (C(converged) or C(failed)), C(bundle_sha256), C(bundle_key) (its S3 key),
          C(last_attempt_at), C(enrolled_at) (the last attempt that converged, or null) and
          C(reason) (why the last attempt failed, else null).
      type: dict
      returned: when the file is the enrolment state
    error:
      description: Why the file is not the enrolment state - it could not be read, is not JSON,
        or a key is missing or wrong (each named).
      type: str
      returned: when the file exists and is not the enrolment state
"""

import os  # noqa: E402 - ansible-test wants the docs before imports
import pwd  # noqa: E402
import re  # noqa: E402
import stat  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.federated.ssm_runas.plugins.module_utils.agent_resolve import (  # noqa: E402
    resolve,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.enrol_state import (  # noqa: E402
    ENROL_STATE,
    read_state,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.ssm_agent import (  # noqa: E402
    AGENT_SUDOERS,
    AGENT_USER,
    HOME_ROOT,
)

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


def id_result(rc, out, err):
    result = {"rc": rc, "ok": rc == 0, "stderr": err.strip()}
    if rc == 0:
        result.update(parse_id(out))
    return result


def probe_id(module, id_bin, name):
    return id_result(*module.run_command([id_bin, name]))


def probe_sudo(module, sudo_bin, name):
    if sudo_bin is None:
        return {"rc": None, "stdout": "", "stderr": "", "msg": "sudo is not installed"}
    rc, out, err = module.run_command([sudo_bin, "-n", "-l", "-U", name])
    return {"rc": rc, "stdout": out, "stderr": err}


def replay_agent(module, id_bin, name):
    """The agent's own resolution of name (agent_resolve), and `id <name>` as one argument."""
    agent = resolve(module.run_command, name, id_bin)
    # Unsplit, the agent's `id <name>` output is the one-argument lookup: no second run.
    same = [c for c in agent["calls"] if c["argv"] == [id_bin, name]]
    if not same:
        return agent, probe_id(module, id_bin, name)
    rc, out, err = same[-1]["rc"], same[-1]["stdout"], same[-1]["stderr"]
    return agent, id_result(rc, out, err)


def probe(module, name, home_root, id_bin, sudo_bin):
    reason = invalid_reason(name)
    if reason:
        return {"valid": False, "reason": reason}
    agent, ident = replay_agent(module, id_bin, name)
    result = {"valid": True, "id": ident, "agent": agent}
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


def read_rules(path):
    """The lines of a sudoers file that are not comments or blank (sudo's '#include' is kept)."""
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return {"path": path, "exists": False}
    except OSError as exc:
        return {"path": path, "exists": True, "error": str(exc)}
    rules = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and (not line.lstrip().startswith("#") or line.lstrip()[1:8] == "include")
    ]
    return {"path": path, "exists": True, "rules": rules}


def probe_agent_user(module, id_bin, sudo_bin):
    name = module.params["agent_user"]
    result = {"name": name, "id": probe_id(module, id_bin, name)}
    if module.params["sudo"] and result["id"]["ok"]:
        result["sudo"] = probe_sudo(module, sudo_bin, name)
    result["sudoers_file"] = read_rules(module.params["agent_sudoers"])
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            names=dict(type="list", elements="str", required=True),
            home_root=dict(type="path", default=HOME_ROOT),
            sudo=dict(type="bool", default=True),
            agent_user=dict(type="str", default=AGENT_USER),
            agent_sudoers=dict(type="path", default=AGENT_SUDOERS),
            enrol_state=dict(type="path", default=ENROL_STATE),
        ),
        supports_check_mode=True,
    )
    id_bin = module.get_bin_path("id", required=True)
    sudo_bin = module.get_bin_path("sudo") if module.params["sudo"] else None
    names = {}
    for name in dict.fromkeys(module.params["names"]):
        names[name] = probe(module, name, module.params["home_root"], id_bin, sudo_bin)
    module.exit_json(
        changed=False,
        names=names,
        agent_user=probe_agent_user(module, id_bin, sudo_bin),
        enrolment=read_state(module.params["enrol_state"]),
    )


if __name__ == "__main__":
    main()
