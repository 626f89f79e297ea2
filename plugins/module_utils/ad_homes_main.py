# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ad_homes module's main, as a step that federated.ssm_runas.host_steps can also run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import pwd
import shutil
import sys
import time

from ansible_collections.federated.ssm_runas.plugins.module_utils import (
    ad_homes_refresh as refresher,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.ad_homes import (
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
from ansible_collections.federated.ssm_runas.plugins.module_utils.ad_join_ini import (
    IniError,
    ensure_ini,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.atomic_file import (
    write_file,
)

ARGUMENT_SPEC = dict(
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
    var_names=dict(type="dict", default={}),
)


def label(params, option):
    """An option as the caller names it in messages (a role's variable), else its own name."""
    return (params.get("var_names") or {}).get(option) or option


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
            "'journalctl -u sssd' and correct the keys in %s."
            % (
                module.params["sssd_conf"],
                " ".join(argv),
                rc,
                (err or out).strip(),
                label(module.params, "sssd_settings"),
            ),
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


def interval_error(params):
    """The message for a refresh interval the timer cannot keep, or None (the controller's
    check of a host_steps step gives the same)."""
    interval = params.get("refresh_interval", 300)
    if params.get("refresh_timer") and interval < refresher.MIN_INTERVAL:
        return "ad_homes: %s %d: give at least %d seconds" % (
            label(params, "refresh_interval"),
            interval,
            refresher.MIN_INTERVAL,
        )
    return None


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
            "names in %s, the realm join and the domain %r"
            % (", ".join(repr(m) for m in missing), label(params, "groups"), params["domain"])
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


def run(module):
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
    problem = interval_error(module.params)
    if problem:
        module.fail_json(msg=problem, **result)
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
