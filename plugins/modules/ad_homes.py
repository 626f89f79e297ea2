#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ad_homes
short_description: Home directories for the members of AD groups, where the SSM agent expects them
version_added: 0.1.0
description:
  - Resolves the members of AD groups through NSS (SSSD) on the host and creates a home
    directory C(<base>/<user name>) for each member that has none, copied from a skeleton
    directory, owned by the user and the user's primary group, mode C(0700).
  - The SSM agent starts run-as shells without PAM, so C(pam_mkhomedir) never runs for
    them, and sets C(HOME=/home/<name as given>). Homes must exist before the first session.
  - Homes it created are recorded in O(state_file); with O(state=absent) exactly those
    homes are removed (still directories owned by the recorded uid), nothing else.
  - Existing homes are never modified.
author:
  - federated.ssm_runas maintainers (@federated)
options:
  state:
    description:
      - V(present) creates missing homes, V(absent) removes the homes recorded in O(state_file).
    type: str
    choices: [present, absent]
    default: present
  groups:
    description:
      - AD group names (without domain) whose members get a home.
    type: list
    elements: str
    default: []
  domain:
    description:
      - AD domain appended as C(group@domain) when O(fully_qualified=true).
    type: str
    default: ''
  fully_qualified:
    description:
      - Whether SSSD knows names fully qualified (C(use_fully_qualified_names)).
    type: bool
    default: true
  base:
    description:
      - Directory holding the homes. The SSM agent hard-codes C(/home).
    type: path
    default: /home
  skel:
    description:
      - Skeleton directory copied into new homes. Missing means an empty home.
    type: path
    default: /etc/skel
  missing_groups:
    description:
      - What to do when a group does not resolve on the host.
    type: str
    choices: [fail, warn]
    default: fail
  refresh_cache:
    description:
      - Invalidate SSSD's cached group entries (C(sss_cache -G)) before the lookup, so that
        members added in AD since the last run are seen.
    type: bool
    default: true
  state_file:
    description:
      - JSON record of the homes this module created.
    type: path
    default: /var/lib/federated-ssm-runas/ad_homes.json
notes:
  - Supports check mode and diff mode.
  - SSSD access rules (C(access_provider), C(realm permit)) do not apply to Session Manager
    shells because the agent does not use PAM.
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying
      target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in
      check_mode), when in diff mode.
    support: full
"""

EXAMPLES = r"""
- name: Members of the run-as groups have homes
  federated.ssm_runas.ad_homes:
    groups: [NetworkAdmins, SysAdmins, Help Desk]
    domain: example.test

- name: Homes created for AD users are gone
  federated.ssm_runas.ad_homes:
    state: absent
"""

RETURN = r"""
created:
  description: Homes created (or, in check mode, that would be created).
  returned: always
  type: list
  elements: str
  sample: [/home/bob@example.test]
removed:
  description: Homes removed (or that would be removed) with O(state=absent).
  returned: always
  type: list
  elements: str
present:
  description: Homes of group members that already existed.
  returned: always
  type: list
  elements: str
members:
  description: Resolved members with uid and gid.
  returned: always
  type: dict
  sample: {"bob@example.test": {"uid": 1796401106, "gid": 1796400513}}
missing_groups:
  description: Groups that did not resolve (with O(missing_groups=warn)).
  returned: always
  type: list
  elements: str
"""

import grp  # noqa: E402 - ansible-test wants the docs before imports
import os  # noqa: E402
import pwd  # noqa: E402
import shutil  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.federated.ssm_runas.plugins.module_utils.ad_homes import (  # noqa: E402
    HomesError,
    create_home,
    load_manifest,
    plan,
    qualify,
    removable,
    resolve_members,
    save_manifest,
)


def present(module, result):
    params = module.params
    names = [qualify(g, params["domain"], params["fully_qualified"]) for g in params["groups"]]
    cache_tool = module.get_bin_path("sss_cache")
    if params["refresh_cache"] and cache_tool and not module.check_mode and names:
        # One call for all groups (-G) costs a third of one call per group; not fatal.
        module.run_command([cache_tool, "-G"])
    members, missing = resolve_members(names, grp.getgrnam, pwd.getpwnam)
    result["missing_groups"] = missing
    if missing:
        message = (
            "ad_homes: groups %s do not resolve on this host (getent group): check the group "
            "names in ad_join_home_groups, the realm join and the domain %r"
            % (", ".join(repr(m) for m in missing), params["domain"])
        )
        if params["missing_groups"] == "fail":
            module.fail_json(msg=message, **result)
        module.warn(message)
    result["members"] = dict(
        (name, {"uid": uid, "gid": gid}) for name, (uid, gid) in sorted(members.items())
    )
    to_create, already = plan(members, params["base"], os.path.lexists)
    result["present"] = [path for _n, path, _u, _g in already]
    result["created"] = [path for _n, path, _u, _g in to_create]
    if not to_create:
        return
    result["changed"] = True
    result["diff"] = {
        "before": "".join("%s\n" % p for p in result["present"]),
        "after": "".join("%s\n" % p for p in sorted(result["present"] + result["created"])),
    }
    if module.check_mode:
        return
    manifest = load_manifest(params["state_file"])
    for _name, path, uid, gid in to_create:
        create_home(path, uid, gid, params["skel"])
        manifest[path] = uid
        # Recorded after each home, so an interrupted run still knows what it made.
        save_manifest(params["state_file"], manifest)


def absent(module, result):
    state_file = module.params["state_file"]
    manifest = load_manifest(state_file)
    gone = sorted(p for p, uid in manifest.items() if removable(p, uid))
    result["removed"] = gone
    if not manifest:
        return
    result["changed"] = True
    result["diff"] = {"before": "".join("%s\n" % p for p in gone), "after": ""}
    if module.check_mode:
        return
    for path in gone:
        shutil.rmtree(path)
    os.unlink(state_file)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            groups=dict(type="list", elements="str", default=[]),
            domain=dict(type="str", default=""),
            fully_qualified=dict(type="bool", default=True),
            base=dict(type="path", default="/home"),
            skel=dict(type="path", default="/etc/skel"),
            missing_groups=dict(type="str", choices=["fail", "warn"], default="fail"),
            refresh_cache=dict(type="bool", default=True),
            state_file=dict(type="path", default="/var/lib/federated-ssm-runas/ad_homes.json"),
        ),
        supports_check_mode=True,
    )
    result = dict(changed=False, created=[], removed=[], present=[], members={}, missing_groups=[])
    try:
        if module.params["state"] == "present":
            present(module, result)
        else:
            absent(module, result)
    except HomesError as exc:
        module.fail_json(msg="ad_homes: %s" % exc, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
