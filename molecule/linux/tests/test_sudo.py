"""Sudo as a Session Manager shell gets it: setuid, HOME=/home/<tag>, no PAM session."""

import pytest
from conftest import DOMAIN, agent_session


def fq(user):
    return f"{user}@{DOMAIN}"


def test_sudo_list_bob_is_network_commands_without_password(host):
    out = host.check_output(f"sudo -l -U {fq('bob')}")
    assert "NOPASSWD:" in out
    assert "/ip" in out
    assert "(ALL : ALL) ALL" not in out


def test_sudo_list_alice_is_everything_with_password(host):
    out = host.check_output(f"sudo -l -U {fq('alice')}")
    assert "(ALL : ALL) ALL" in out
    assert "NOPASSWD" not in out


@pytest.mark.parametrize("user", ["carol", "erin"])
def test_sudo_list_users_without_rules_get_nothing(host, user):
    out = host.run(f"sudo -l -U {fq(user)}")
    assert "is not allowed to run sudo" in out.stdout + out.stderr


def test_bob_runs_ip_without_password(host):
    # As a user types it: sudo finds ip through its secure_path.
    res = agent_session(host.backend.name, fq("bob"), ["sudo", "-n", "ip", "-br", "link"])
    assert res.returncode == 0, res.stderr
    assert "lo" in res.stdout


def test_bob_cannot_run_other_commands(host):
    res = agent_session(host.backend.name, fq("bob"), ["sudo", "-n", "/bin/true"])
    assert res.returncode != 0
    assert "password is required" in res.stderr


def test_session_has_the_agents_home_and_no_pam(host):
    res = agent_session(host.backend.name, fq("bob"), ["sh", "-c", 'cd "$HOME" && pwd && id -un'])
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == [f"/home/{fq('bob')}", fq("bob")]


def test_alice_needs_her_password(host):
    res = agent_session(host.backend.name, fq("alice"), ["sudo", "-n", "/bin/true"])
    assert res.returncode != 0
    assert "password is required" in res.stderr


def test_alice_with_her_ad_password_is_root(host, secrets):
    # PAM (sudo's own stack) -> pam_sss -> SSSD -> Kerberos to the DC; password on stdin.
    res = agent_session(
        host.backend.name,
        fq("alice"),
        ["sudo", "-S", "-p", "", "/usr/bin/id", "-u"],
        stdin=secrets["users"]["alice"] + "\n",
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "0"


def test_alice_with_a_wrong_password_is_refused(host):
    res = agent_session(
        host.backend.name,
        fq("alice"),
        ["sudo", "-S", "-p", "", "/usr/bin/id", "-u"],
        stdin="not-her-password\n",
    )
    assert res.returncode != 0


def test_dave_has_both_rights(host):
    res = agent_session(host.backend.name, fq("dave"), ["sudo", "-n", "ip", "-br", "link"])
    assert res.returncode == 0, res.stderr
    out = host.check_output(f"sudo -l -U {fq('dave')}")
    assert "(ALL : ALL) ALL" in out


def test_carol_gets_no_sudo_at_all(host, secrets):
    res = agent_session(
        host.backend.name,
        fq("carol"),
        ["sudo", "-S", "-p", "", "/bin/true"],
        stdin=secrets["users"]["carol"] + "\n",
    )
    assert res.returncode != 0
    assert "not in the sudoers file" in res.stderr or "not allowed" in res.stderr
