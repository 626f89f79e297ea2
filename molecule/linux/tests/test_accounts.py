"""The accounts run-as relies on, as the SSM agent sees them: the automation account resolves
with `id`, has /home/<name> and exactly its sudo rule; the user untagged sessions would get
resolves nowhere, and a host where it does is stopped before anything changes."""

import os
import re
from pathlib import Path

import agent_session
import lab_hosts
from conftest import ansible_playbook, container_run

AUTOMATION = "ansible-automation"
DEFAULT_USER = "ssm-runas-untagged-denied"  # the schema's default run_as_default_user
PLAYBOOK = str(Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "accounts.yml")
HOSTS = len(lab_hosts.hosts())


def recap(out):
    """Host -> changed count from PLAY RECAP (molecule may force colour on)."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    return {
        host: int(changed)
        for host, changed in re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", plain, re.M)
    }


def test_automation_account_resolves_as_the_agent_resolves_it(host):
    # The agent runs `id -u`, `id -g` and `id` and needs every group as <gid>(<name>).
    uid = int(host.check_output(f"id -u {AUTOMATION}"))
    gid = int(host.check_output(f"id -g {AUTOMATION}"))
    assert 0 < uid < 1000 and gid > 0  # a system account, never root
    groups = host.check_output(f"id {AUTOMATION}").partition("groups=")[2].split(",")
    assert groups and all(re.fullmatch(r"\d+\([^)]+\)", g) for g in groups)


def test_automation_account_has_its_home_a_shell_and_no_password(host):
    user = host.user(AUTOMATION)
    assert user.home == f"/home/{AUTOMATION}" and user.shell == "/bin/bash"
    home = host.file(f"/home/{AUTOMATION}")
    assert home.is_directory and home.uid == user.uid
    assert host.check_output(f"getent shadow {AUTOMATION}").split(":")[1].startswith("!")


def test_automation_sudo_is_exactly_the_declared_rule(host):
    out = host.check_output(f"sudo -l -U {AUTOMATION}")
    listed = out.split("may run the following commands on", 1)[1].splitlines()[1:]
    assert [line.strip() for line in listed if line.strip()] == ["(ALL) NOPASSWD: ALL"]
    rules = host.file("/etc/sudoers.d/ssm-runas-automation")
    assert rules.mode == 0o440 and rules.uid == 0
    body = [ln for ln in rules.content_string.splitlines() if ln and not ln.startswith("#")]
    assert body == [f"{AUTOMATION} ALL=(ALL) NOPASSWD: ALL"]


def test_a_session_as_the_automation_account_becomes_root_like_ansible(host):
    res = agent_session.start(host.backend.name, AUTOMATION, ['cd "$HOME" && pwd && sudo -n id -u'])
    assert res.status == 0, res.transcript
    typed = res.lines.index('$ cd "$HOME" && pwd && sudo -n id -u')
    assert res.lines[typed + 1 : typed + 3] == [f"/home/{AUTOMATION}", "0"], res.transcript


def test_untagged_sessions_find_no_account(host):
    res = host.run(f"id {DEFAULT_USER}")
    assert res.rc != 0 and "no such user" in res.stderr


def test_steady_state_check_mode_predicts_no_change():
    proc = ansible_playbook(PLAYBOOK, "--check", "--diff")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert list(recap(proc.stdout).values()) == [0] * HOSTS, proc.stdout[-2000:]


def test_check_mode_predicts_the_removal_and_changes_nothing(host):
    proc = ansible_playbook(PLAYBOOK, "--check", extra_vars={"runas_accounts_state": "absent"})
    assert proc.returncode == 0, proc.stdout[-3000:]
    # The sudo rules and the account: two changes on every instance, none made.
    assert list(recap(proc.stdout).values()) == [2] * HOSTS, proc.stdout[-2000:]
    assert host.run(f"id {AUTOMATION}").rc == 0
    assert host.file("/etc/sudoers.d/ssm-runas-automation").exists


def test_a_default_user_that_resolves_stops_the_host_before_any_change(first_host):
    before = container_run(first_host, ["sh", "-c", "getent passwd; ls -l /etc/sudoers.d"]).stdout
    proc = ansible_playbook(
        PLAYBOOK,
        extra_vars={
            "runas_accounts_default_user": "daemon",
            "runas_accounts_automation_user": "auto-new",
        },
    )
    assert proc.returncode != 0
    flat = " ".join(proc.stdout.split())
    assert (
        "daemon resolves on" in flat
        and "every session without a run-as tag gets a shell as it" in flat
    )
    assert "runas_accounts_untagged_sessions" in flat
    after = container_run(first_host, ["sh", "-c", "getent passwd; ls -l /etc/sudoers.d"]).stdout
    assert after == before  # auto-new was not created, no sudoers file was touched


def test_a_real_default_user_on_purpose_is_not_stopped():
    proc = ansible_playbook(
        PLAYBOOK,
        extra_vars={
            "runas_accounts_default_user": "daemon",
            "runas_accounts_untagged_sessions": "run_as_default_user",
        },
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert list(recap(proc.stdout).values()) == [0] * HOSTS
