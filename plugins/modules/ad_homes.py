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
  - With O(sssd_settings), first sets the SSSD keys that decide the names and homes (as
    M(federated.ssm_runas.ad_join_ini) does, every other line kept) and, when the file changed,
    flushes SSSD's caches and restarts SSSD before any member is resolved, so that members
    resolve under the new settings. One call for both keeps a re-run to one round trip.
  - Resolves the members of AD groups through NSS (SSSD) on the host and creates a home
    directory C(<base>/<user name>) for each member that has none, copied from a skeleton
    directory, owned by the user and the user's primary group, mode C(0700).
  - The SSM agent starts run-as shells without PAM, so C(pam_mkhomedir) never runs for
    them, and sets C(HOME=/home/<name as given>). Homes must exist before the first session.
  - Homes it created are recorded in O(state_file); with O(state=absent) exactly those
    homes are removed (still directories owned by the recorded uid), nothing else.
  - Existing homes are never modified.
  - With O(refresh_timer=true) the same call installs a refresher, so that members who join a
    group later get their homes without another run (the SSM agent needs them before their first
    session) - a systemd timer that runs a oneshot service every O(refresh_interval) seconds.
    The service runs this collection's C(module_utils/ad_homes.py) itself, installed as
    C(/usr/local/libexec/federated-ssm-runas/ad_homes.py) with the standard library only, with
    its configuration in C(/etc/federated-ssm-runas/ad_homes_refresh.json) (the groups, O(base),
    O(skel), O(state_file), O(missing_groups)). Each pass invalidates only these groups in
    SSSD's cache (C(sss_cache -g)), creates the homes that are missing exactly as this module
    does, records them in O(state_file), logs each to the journal and removes nothing.
  - The units are C(federated-ssm-runas-homes.service) and C(.timer) in C(/etc/systemd/system);
    they are reloaded and the timer restarted only when a unit file changed.
author:
  - federated.ssm_runas maintainers (@federated)
options:
  state:
    description:
      - V(present) creates missing homes, V(absent) removes the refresher and (with
        O(remove_homes)) the homes recorded in O(state_file).
    type: str
    choices: [present, absent]
    default: present
  remove_homes:
    description:
      - With O(state=absent), also remove the homes recorded in O(state_file). The refresher
        is removed either way.
    type: bool
    default: true
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
  resolve_members:
    description:
      - Look the members of O(groups) up now and create their homes. V(false) skips that, for
        a host that cannot resolve them yet (check mode before the join); the refresher is
        still configured for O(groups).
    type: bool
    default: true
  refresh_timer:
    description:
      - Install (V(true)) or remove (V(false)) the refresher. Without O(groups) it is removed.
      - Needs systemd on the host.
    type: bool
    default: false
  refresh_interval:
    description:
      - Seconds between two passes of the refresher (and from the timer's start to the first),
        at least 10.
    type: int
    default: 300
  sssd_settings:
    description:
      - Keys of O(sssd_conf) to set first, as a mapping of section to a mapping of key to value
        (booleans are written C(True)/C(False), lists comma separated, C(null) removes a key).
        Empty means O(sssd_conf) is not touched. Only with O(state=present).
    type: dict
    default: {}
  sssd_conf:
    description: SSSD's configuration file (created when missing).
    type: path
    default: /etc/sssd/sssd.conf
  sssd_conf_mode:
    description:
      - Mode of O(sssd_conf). SSSD refuses a group- or world-writable one; Debian 13's
        sssd.service adds group read before every start.
    type: raw
    default: '0600'
  var_names:
    description:
      - The caller's own names for options, used in messages instead of the options' names,
        as a mapping of option name to the name to show (a role passes its variables' names).
        The P(federated.ssm_runas.ad_join#role) role names its variables this way.
    type: dict
    default: {}
notes:
  - SSSD access rules (C(access_provider), C(realm permit)) do not apply to Session Manager
    shells because the agent does not use PAM.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - action_common_attributes.files
  - federated.ssm_runas.attributes
attributes:
  safe_file_operations:
    support: partial
    details: O(sssd_conf), O(state_file) and the refresher's files are replaced atomically; a new
      home is copied from O(skel) in place.
"""

EXAMPLES = r"""
- name: SSSD resolves UPNs to /home/<upn>, and the members of the run-as groups have homes there
  federated.ssm_runas.ad_homes:
    sssd_settings:
      domain/example.test:
        use_fully_qualified_names: true
        override_homedir: /home/%u@%d
    groups: [NetworkAdmins, SysAdmins]
    domain: example.test

- name: Members of the run-as groups have homes
  federated.ssm_runas.ad_homes:
    groups: [NetworkAdmins, SysAdmins, Help Desk]
    domain: example.test

- name: Members of the run-as groups have homes, also those who join later (checked every 5 min)
  federated.ssm_runas.ad_homes:
    groups: [NetworkAdmins, SysAdmins]
    domain: example.test
    refresh_timer: true
    refresh_interval: 300

- name: Homes created for AD users are gone, and so is the refresher
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
sssd_changes:
  description: One line per key of O(sssd_conf) that was (or would be) changed.
  returned: always
  type: list
  elements: str
  sample: ["[domain/example.test] override_homedir: (absent) -> '/home/%u@%d'"]
sssd_restarted:
  description: Whether SSSD's caches were flushed and SSSD restarted because O(sssd_conf) changed.
  returned: always
  type: bool
refresh_changes:
  description: What was (or would be) done to the refresher's files and units.
  returned: always
  type: list
  elements: str
  sample: ["created /etc/systemd/system/federated-ssm-runas-homes.timer",
           "systemctl daemon-reload", "systemctl enable federated-ssm-runas-homes.timer"]
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.federated.ssm_runas.plugins.module_utils.ad_homes_main import (  # noqa: E402
    ARGUMENT_SPEC,
    run,
)


def main():
    run(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True))


if __name__ == "__main__":
    main()
