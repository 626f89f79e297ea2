"""Homes for people who join a run-as group after the last run: a user added to NetworkAdmins
in AD gets /home/<name> from the timer ad_join installed, with no Ansible run in between."""

import json
import os
import re
import secrets
import time
from pathlib import Path

import agent_session
import lab_hosts
import pytest
import yaml
from conftest import ad_name, ansible_playbook, container_run

SCENARIO = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
PLAYBOOK = str(SCENARIO / "converge.yml")
# What the scenario's inventory asks for, read from the inventory, not from the host.
INTERVAL = yaml.safe_load((SCENARIO / "inventory/group_vars/all.yml").read_text())[
    "ad_join_home_refresh_interval"
]
UNIT = "federated-ssm-runas-homes"
TIMER = UNIT + ".timer"
MODULE_RUN = "ansible-federated.ssm_runas.ad_homes Invoked"


def dc(lab, *argv):
    res = container_run(lab["dc_container"], list(argv))
    assert res.returncode == 0, f"{argv}: {res.stdout}{res.stderr}"
    return res.stdout


def journal_cursor(container):
    out = container_run(container, ["journalctl", "-n", "0", "--show-cursor"]).stdout
    return out.rsplit("-- cursor: ", 1)[1].strip()


def journal_since(container, cursor):
    argv = ["journalctl", "--no-pager", "-o", "with-unit", f"--after-cursor={cursor}"]
    return container_run(container, argv).stdout


@pytest.fixture(scope="module")
def late_joiner(lab, request):
    """A new AD user, added to NetworkAdmins now, and each instance's journal position then."""
    cursors = {h.backend.name: journal_cursor(h.backend.name) for h in lab_hosts.hosts()}
    # Mixed case and a dot: SSSD names the user (and the home) in lower case.
    name = f"Late.Joiner-{secrets.token_hex(3)}"
    dc(lab, "samba-tool", "user", "create", name, "--random-password", "--use-username-as-cn")
    request.addfinalizer(lambda: dc(lab, "samba-tool", "user", "delete", name))
    dc(lab, "samba-tool", "group", "addmembers", "NetworkAdmins", name)
    return {"name": name.lower(), "cursors": cursors}


def wait_for_home(host, path):
    # Generous: a pass every INTERVAL seconds, but SSSD or a busy machine may take longer.
    deadline = time.monotonic() + 3 * INTERVAL + 60
    while not host.file(path).exists and time.monotonic() < deadline:
        time.sleep(2)
    return host.file(path)


def test_the_timer_runs_with_the_inventorys_interval(host):
    assert host.run(f"systemctl is-enabled {TIMER}").stdout.strip() == "enabled"
    assert host.run(f"systemctl is-active {TIMER}").stdout.strip() == "active"
    timers = host.check_output(f"systemctl show --property=TimersMonotonic {TIMER}")
    assert f"OnUnitActiveUSec={INTERVAL}s" in timers


def test_a_new_member_gets_a_home_without_an_ansible_run(host, late_joiner):
    name = ad_name(host, late_joiner["name"])
    home = wait_for_home(host, f"/home/{name}")
    assert home.is_directory, f"no /home/{name} after {3 * INTERVAL + 60} s"
    assert home.uid == int(host.check_output(f"id -u {name}"))
    assert home.gid == int(host.check_output(f"id -g {name}"))
    assert home.mode == 0o700
    assert host.file(f"/home/{name}/.bashrc").user == name  # copied from /etc/skel
    container = host.backend.name
    # The timer's service made it, and no ad_homes module ran on the host before that.
    log = journal_since(container, late_joiner["cursors"][container]).splitlines()
    said = f"created /home/{name} for {name}"
    at = next((i for i, line in enumerate(log) if said in line), None)
    assert at is not None, "\n".join(log[-40:])
    assert f" {UNIT}.service[" in log[at], log[at]
    assert not [line for line in log[:at] if MODULE_RUN in line]
    # Recorded where the module records its homes, so that removal removes it too.
    state = json.loads(host.file("/var/lib/federated-ssm-runas/ad_homes.json").content_string)
    assert state["homes"][f"/home/{name}"] == home.uid
    # A session as the agent starts it finds its HOME.
    res = agent_session.start(container, name, ['cd "$HOME" && pwd'])
    assert res.status == 0, res.transcript
    assert res.output_of('cd "$HOME" && pwd') == [f"/home/{name}"], res.transcript


def recap(out):
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    return {h: int(c) for h, c in re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", plain, re.M)}


def test_a_rerun_predicts_and_makes_no_change_and_leaves_the_timer_running(first_host, late_joiner):
    def since():
        out = container_run(
            first_host, ["systemctl", "show", "--property=ActiveEnterTimestampMonotonic", TIMER]
        ).stdout
        return out.strip()

    # Only after the timer had its chance everywhere: this run would make the homes itself.
    for host in lab_hosts.hosts():
        assert wait_for_home(host, f"/home/{ad_name(host, late_joiner['name'])}").is_directory
    started = since()
    check = ansible_playbook("--limit", first_host, PLAYBOOK, "--check", "--diff")
    assert check.returncode == 0, check.stdout[-3000:]
    assert recap(check.stdout) == {first_host: 0}, check.stdout[-3000:]
    apply = ansible_playbook("--limit", first_host, PLAYBOOK)
    assert apply.returncode == 0, apply.stdout[-3000:]
    assert recap(apply.stdout) == {first_host: 0}, apply.stdout[-3000:]
    assert since() == started  # the timer was not restarted
