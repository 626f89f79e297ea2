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

import grp  # noqa: E402 - ansible-test wants the docs before imports
import os  # noqa: E402
import pwd  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.federated.ssm_runas.plugins.module_utils import (  # noqa: E402
    ad_homes_refresh as refresher,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.ad_homes import (  # noqa: E402
    HomesError,
    create_home,
    load_manifest,
    manifest_lock,
    plan,
    qualify,
    removable,
    resolve_members_waiting,
    save_manifest,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.ad_join_ini import (  # noqa: E402
    IniError,
    ensure_ini,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.atomic_file import (  # noqa: E402
    write_file,
)

# Seconds a restarted SSSD gets to bring its AD backend online before groups count as missing.
SSSD_ONLINE_TIMEOUT = 30


def restart_sssd(module, result):
    """Flush SSSD's caches and restart it, as the settings only apply to a fresh SSSD."""
    cache_tool = module.get_bin_path("sss_cache")
    if cache_tool:
        rc, out, err = module.run_command([cache_tool, "-E"])
        if rc != 0:
            module.warn(
                "sss_cache -E failed (rc=%s: %s); the restart clears SSSD's memory "
                "cache only" % (rc, (err or out).strip())
            )
    systemctl = module.get_bin_path("systemctl")
    if systemctl and os.path.isdir("/run/systemd/system"):
        argv = [systemctl, "restart", "sssd.service"]
    else:
        argv = [module.get_bin_path("service", required=True), "sssd", "restart"]
    rc, out, err = module.run_command(argv)
    if rc != 0:
        module.fail_json(
            msg="ad_homes: %s changed but SSSD did not restart (%s rc=%s: %s). Fix: read "
            "'journalctl -u sssd' and correct the keys in sssd_settings."
            % (module.params["sssd_conf"], " ".join(argv), rc, (err or out).strip()),
            **result,
        )
    result["sssd_restarted"] = True


def sssd(module, result):
    """Set the SSSD keys; True when SSSD was restarted because they changed."""
    params = module.params
    if not params["sssd_settings"]:
        return False
    try:
        changed, changes, diff = ensure_ini(
            module, params["sssd_conf"], params["sssd_settings"], params["sssd_conf_mode"]
        )
    except IniError as exc:
        module.fail_json(msg="ad_homes: sssd_conf %s: %s" % (params["sssd_conf"], exc), **result)
    result["sssd_changes"] = changes
    if diff:
        result["diff"].append(diff)
    if not changed:
        return False
    result["changed"] = True
    if module.check_mode:
        return False
    restart_sssd(module, result)
    return True


def wants_refresher(params):
    return params["state"] == "present" and params["refresh_timer"] and bool(params["groups"])


def refresh(module, result, names, systemd):
    """The refresher installed for names (or removed); same call, no extra round trip."""
    params = module.params
    try:
        if wants_refresher(params):
            config = refresher.render_config(
                names,
                params["base"],
                params["skel"],
                params["state_file"],
                params["missing_groups"],
            )
            files = refresher.desired_files(
                refresher.PATHS,
                refresher.interpreter(sys.executable),
                config,
                params["refresh_interval"],
            )
            changes, diffs = refresher.ensure(module, systemd, refresher.PATHS, files)
        else:
            changes, diffs = refresher.remove(module, systemd, refresher.PATHS)
    except (RuntimeError, ValueError, OSError) as exc:
        module.fail_json(msg="ad_homes: refresher: %s" % exc, **result)
    result["refresh_changes"] = changes
    result["diff"].extend(diffs)
    if changes:
        result["changed"] = True


def present(module, result, systemd):
    params = module.params
    names = [qualify(g, params["domain"], params["fully_qualified"]) for g in params["groups"]]
    restarted = sssd(module, result)
    if params["resolve_members"]:
        homes(module, result, names, restarted)
    refresh(module, result, names, systemd)


def homes(module, result, names, restarted):
    params = module.params
    if not names:
        return
    cache_tool = module.get_bin_path("sss_cache")
    if params["refresh_cache"] and cache_tool and not module.check_mode and not restarted:
        # One call for all groups (-G) costs a third of one call per group; not fatal.
        module.run_command([cache_tool, "-G"])
    members, missing = resolve_members_waiting(
        names,
        grp.getgrnam,
        pwd.getpwnam,
        timeout=SSSD_ONLINE_TIMEOUT if restarted else 0,
        sleep=time.sleep,
        clock=time.monotonic,
    )
    result["missing_groups"] = missing
    if missing:
        message = (
            "ad_homes: groups %s do not resolve on this host (getent group): check the group "
            "names in groups, the realm join and the domain %r"
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
    result["diff"].append(
        {
            "before": "".join("%s\n" % p for p in result["present"]),
            "after": "".join("%s\n" % p for p in sorted(result["present"] + result["created"])),
            "before_header": "homes in %s" % params["base"],
            "after_header": "homes in %s" % params["base"],
        }
    )
    if module.check_mode:
        return

    def write(path, data):
        write_file(module, path, data, 0o600, keep_dest_attrs=False)

    # The refresher records its homes in the same file: one writer at a time.
    with manifest_lock(params["state_file"]):
        manifest = load_manifest(params["state_file"])
        for _name, path, uid, gid in to_create:
            if os.path.lexists(path):
                continue  # the refresher made it while this call waited for the lock
            create_home(path, uid, gid, params["skel"])
            manifest[path] = uid
            # Recorded after each home, so an interrupted run still knows what it made.
            save_manifest(params["state_file"], manifest, write)


def absent(module, result, systemd):
    # The refresher first, so that no pass creates a home while they are being removed.
    refresh(module, result, [], systemd)
    if not module.params["remove_homes"]:
        return
    state_file = module.params["state_file"]
    manifest = load_manifest(state_file)
    gone = sorted(p for p, uid in manifest.items() if removable(p, uid))
    result["removed"] = gone
    if not manifest:
        return
    result["changed"] = True
    result["diff"].append({"before": "".join("%s\n" % p for p in gone), "after": ""})
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
            sssd_settings=dict(type="dict", default={}),
            sssd_conf=dict(type="path", default="/etc/sssd/sssd.conf"),
            sssd_conf_mode=dict(type="raw", default="0600"),
            resolve_members=dict(type="bool", default=True),
            refresh_timer=dict(type="bool", default=False),
            refresh_interval=dict(type="int", default=300),
            remove_homes=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    result = dict(
        changed=False,
        created=[],
        removed=[],
        present=[],
        members={},
        missing_groups=[],
        sssd_changes=[],
        sssd_restarted=False,
        refresh_changes=[],
        diff=[],
    )
    # The refresher's preconditions are checked before anything changes.
    interval = module.params["refresh_interval"]
    if module.params["refresh_timer"] and interval < refresher.MIN_INTERVAL:
        module.fail_json(
            msg="ad_homes: refresh_interval %d: give at least %d seconds"
            % (interval, refresher.MIN_INTERVAL),
            **result,
        )
    systemd = refresher.Systemd(module)
    if wants_refresher(module.params) and not systemd.running:
        module.fail_json(msg="ad_homes: refresher: %s" % refresher.NO_SYSTEMD, **result)
    try:
        if module.params["state"] == "present":
            present(module, result, systemd)
        else:
            absent(module, result, systemd)
    except HomesError as exc:
        module.fail_json(msg="ad_homes: %s" % exc, **result)
    if not result["diff"]:
        del result["diff"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
