# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The refresher of ad_homes: homes for members who join a run-as group after the last run.

A systemd timer runs a oneshot service that runs module_utils/ad_homes.py itself (its
refresh_main), installed verbatim, so that the module and the host share one implementation of
which homes to create. The ad_homes module converges the script, its JSON configuration, the
two units and the timer's state in the call it already makes: no extra round trip.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import inspect
import json
import os
import stat
from collections import namedtuple

import ansible_collections.federated.ssm_runas.plugins.module_utils.ad_homes as homes_source
from ansible_collections.federated.ssm_runas.plugins.module_utils.atomic_file import write_file

UNIT = "federated-ssm-runas-homes"
TIMER = UNIT + ".timer"
SERVICE = UNIT + ".service"
# Shorter would ask the DC for the groups' members more often than anyone joins them.
MIN_INTERVAL = 10

Paths = namedtuple("Paths", "script config unit_dir")
PATHS = Paths(
    script="/usr/local/libexec/federated-ssm-runas/ad_homes.py",
    config="/etc/federated-ssm-runas/ad_homes_refresh.json",
    unit_dir="/etc/systemd/system",
)
# An installed file: where, what, mode.
File = namedtuple("File", "path text mode")

NO_SYSTEMD = (
    "the refresher needs systemd (no systemctl, or /run/systemd/system missing): "
    "set refresh_timer=false on this host"
)
MANAGED = "Installed by the federated.ssm_runas.ad_homes module; edits are overwritten."


# The script's entry point, appended to the source: the only part of the installed script
# that runs programs and exits, kept out of module_utils code, where Ansible modules must use
# run_command and exit_json instead.
ENTRY = """

if __name__ == "__main__":
    import subprocess
    import sys

    def _command(argv):
        done = subprocess.run(
            argv, check=False, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        return done.returncode, done.stdout.decode("utf-8", "replace")

    sys.exit(refresh_main(sys.argv[1:], _command, sys.stdout))
"""


def script_text(source=None):
    """The installed script: a header, module_utils/ad_homes.py as this module carries it, and
    the entry point (ENTRY)."""
    if source is None:
        source = inspect.getsource(homes_source)
    return "# %s\n# It is the collection's plugins/module_utils/ad_homes.py, run by %s.\n%s%s" % (
        MANAGED,
        SERVICE,
        source.rstrip("\n") + "\n",
        ENTRY,
    )


def render_config(groups, base, skel, state_file, missing_groups):
    """The refresher's configuration (the keys homes_source.load_refresh_config accepts)."""
    config = dict(
        groups=list(groups),
        base=base,
        skel=skel,
        state_file=state_file,
        missing_groups=missing_groups,
    )
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


def specifiers(arg):
    """arg with systemd's specifier character '%' doubled; refuses line breaks."""
    if any(c in arg for c in "\n\r\x00"):
        raise ValueError("%r: a unit file cannot hold this path" % (arg,))
    return arg.replace("%", "%%")


def quote(arg):
    """One ExecStart word: quoted, backslashes and quotes escaped, '%' doubled."""
    return '"%s"' % specifiers(arg).replace("\\", "\\\\").replace('"', '\\"')


def interpreter(executable, stable=("/usr/bin/python3",), realpath=os.path.realpath):
    """The interpreter the unit names: a stable name for the one running this module, as a
    versioned one (python3.13) breaks the service at the next distribution upgrade."""
    for candidate in stable:
        if realpath(candidate) == realpath(executable):
            return candidate
    return executable


def render_service(python, paths):
    # -I: no PYTHON* variables, user site or script directory; -S: the standard library only.
    argv = " ".join(quote(a) for a in (python, "-I", "-S", paths.script, paths.config))
    return (
        "# %s\n"
        "[Unit]\n"
        "Description=Homes for new members of the SSM run-as groups (federated.ssm_runas)\n"
        "After=sssd.service\n"
        "ConditionPathExists=%s\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        "ExecStart=%s\n"
        "SyslogIdentifier=%s\n"
        "NoNewPrivileges=yes\n"
        "Nice=10\n"
        "IOSchedulingClass=idle\n" % (MANAGED, specifiers(paths.config), argv, UNIT)
    )


def render_timer(interval):
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < MIN_INTERVAL:
        raise ValueError(
            "refresh_interval %r: give whole seconds, at least %d" % (interval, MIN_INTERVAL)
        )
    return (
        "# %s\n"
        "[Unit]\n"
        "Description=Homes for new members of the SSM run-as groups every %d s\n"
        "\n"
        "[Timer]\n"
        "OnActiveSec=%d\n"
        "OnUnitActiveSec=%d\n"
        "AccuracySec=1s\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n" % (MANAGED, interval, interval, interval)
    )


def unit_paths(paths):
    return os.path.join(paths.unit_dir, SERVICE), os.path.join(paths.unit_dir, TIMER)


def desired_files(paths, python, config_text, interval, source=None):
    service, timer = unit_paths(paths)
    return [
        File(paths.script, script_text(source), 0o644),
        File(paths.config, config_text, 0o644),
        File(service, render_service(python, paths), 0o644),
        File(timer, render_timer(interval), 0o644),
    ]


def current(path):
    """(text, mode) of a regular file, (None, None) when there is none."""
    try:
        info = os.lstat(path)
    except OSError:
        return None, None
    if not stat.S_ISREG(info.st_mode):
        return "", None
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace"), stat.S_IMODE(info.st_mode)


def file_diff(path, before, after):
    return {"before": before or "", "after": after, "before_header": path, "after_header": path}


def parse_show(text):
    """systemctl show's KEY=value lines as a dict."""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


class Systemd:
    """The few systemctl calls the refresher needs, through module.run_command."""

    def __init__(self, module):
        self.module = module
        self.systemctl = module.get_bin_path("systemctl")
        self.running = bool(self.systemctl) and os.path.isdir("/run/systemd/system")

    def timer_state(self):
        """(enabled, active) of the timer; one call."""
        if not self.running:
            return False, False
        out = self.call("show", "--property=UnitFileState", "--property=ActiveState", TIMER)
        values = parse_show(out)
        return values.get("UnitFileState") == "enabled", values.get("ActiveState") == "active"

    def call(self, *args):
        rc, out, err = self.module.run_command([self.systemctl, *args])
        if rc != 0:
            raise RuntimeError(
                "systemctl %s: rc=%s %s" % (" ".join(args), rc, (err or out).strip())
            )
        return out


def ensure(module, systemd, paths, files):
    """Files written where they differ, units reloaded, the timer enabled and running.

    Returns (changes, diffs). The timer is restarted only when its own unit changed: the
    service reads the script and configuration afresh at each run.
    """
    if not systemd.running:
        raise RuntimeError(NO_SYSTEMD)
    changes, diffs = [], []
    service, timer = unit_paths(paths)
    units_changed = timer_changed = False
    for item in files:
        text, mode = current(item.path)
        if text == item.text and mode == item.mode:
            continue
        changes.append("%s %s" % ("updated" if text is not None else "created", item.path))
        diffs.append(file_diff(item.path, text, item.text))
        units_changed = units_changed or item.path in (service, timer)
        timer_changed = timer_changed or item.path == timer
        if not module.check_mode:
            directory = os.path.dirname(item.path)
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            data = item.text.encode("utf-8")
            write_file(module, item.path, data, item.mode, owner=0, group=0, keep_dest_attrs=False)
    enabled, active = systemd.timer_state()
    actions = []
    if units_changed:
        actions.append(("daemon-reload",))
    if not enabled:
        actions.append(("enable", TIMER))
    if not active:
        actions.append(("start", TIMER))
    elif timer_changed:
        actions.append(("restart", TIMER))
    for action in actions:
        changes.append("systemctl " + " ".join(action))
        if not module.check_mode:
            systemd.call(*action)
    return changes, diffs


def remove(module, systemd, paths):
    """Timer stopped and disabled, then script, configuration and units gone. (changes, diffs)"""
    changes, diffs = [], []
    service, timer = unit_paths(paths)
    present = [p for p in (timer, service, paths.script, paths.config) if os.path.lexists(p)]
    if not present:
        return changes, diffs  # nothing installed: no systemctl call on every run
    enabled, active = systemd.timer_state()
    if enabled or active:
        changes.append("systemctl disable --now %s" % TIMER)
        if not module.check_mode:
            # The service too, so that no pass runs while the homes may be removed next.
            systemd.call("disable", "--now", TIMER)
            systemd.call("stop", SERVICE)
    units_removed = False
    for path in present:
        text, _mode = current(path)
        changes.append("removed %s" % path)
        diffs.append(file_diff(path, text, ""))
        units_removed = units_removed or path in (service, timer)
        if not module.check_mode:
            os.unlink(path)
            if path in (paths.script, paths.config):
                _remove_if_empty(os.path.dirname(path))
    if units_removed and systemd.running:
        changes.append("systemctl daemon-reload")
        if not module.check_mode:
            systemd.call("daemon-reload")
    return changes, diffs


def _remove_if_empty(directory):
    with contextlib.suppress(OSError):  # not empty: someone else's files stay
        os.rmdir(directory)
