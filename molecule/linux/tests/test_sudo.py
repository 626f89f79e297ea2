"""Sudo as a Session Manager shell gets it: an agent-like session (molecule/_shared/
agent_session.py: setuid with the groups `id` lists, HOME=/home/<tag>, no PAM, sh on a pty)."""

import re

import agent_session
import pytest
from conftest import ad_name

# sudo's own password prompt; the answer is typed only once it shows (echo is off by then).
SUDO_PROMPT = r"\[sudo\] password for [^:]+: $"


def test_sudo_list_bob_is_network_commands_without_password(host):
    out = host.check_output(f"sudo -l -U {ad_name(host, 'bob')}")
    assert "NOPASSWD:" in out
    assert "/ip" in out
    assert "(ALL : ALL) ALL" not in out


def test_sudo_list_alice_is_everything_with_password(host):
    out = host.check_output(f"sudo -l -U {ad_name(host, 'alice')}")
    assert "(ALL : ALL) ALL" in out
    assert "NOPASSWD" not in out


@pytest.mark.parametrize("user", ["carol", "erin"])
def test_sudo_list_users_without_rules_get_nothing(host, user):
    out = host.run(f"sudo -l -U {ad_name(host, user)}")
    assert "is not allowed to run sudo" in out.stdout + out.stderr


def test_bob_runs_ip_without_password(host):
    # As a user types it: sudo finds ip through its secure_path.
    res = agent_session.start(host.backend.name, ad_name(host, "bob"), ["sudo -n ip -br link"])
    assert res.status == 0, res.transcript
    assert any(re.match(r"lo\s+UNKNOWN\s", line) for line in res.lines), res.transcript


def test_bob_cannot_run_other_commands(host):
    res = agent_session.start(host.backend.name, ad_name(host, "bob"), ["sudo -n /bin/true"])
    assert res.status != 0
    assert "sudo: a password is required" in res.lines, res.transcript


def test_session_has_the_agents_home_and_no_pam(host):
    # No PAM session: pam_loginuid never ran, so the login uid stays unset (4294967295).
    shown = 'echo "home=$HOME user=$(id -un) loginuid=$(cat /proc/self/loginuid)"'
    res = agent_session.start(host.backend.name, ad_name(host, "bob"), [shown])
    assert res.status == 0, res.transcript
    expected = f"home=/home/{ad_name(host, 'bob')} user={ad_name(host, 'bob')} loginuid=4294967295"
    assert expected in res.lines, res.transcript


def test_alice_needs_her_password(host):
    res = agent_session.start(host.backend.name, ad_name(host, "alice"), ["sudo -n /bin/true"])
    assert res.status != 0
    assert "sudo: a password is required" in res.lines, res.transcript


def test_alice_with_her_ad_password_is_root(host, secrets):
    # PAM (sudo's own stack) -> pam_sss -> SSSD -> Kerberos to the DC; typed at sudo's prompt.
    res = agent_session.start(
        host.backend.name,
        ad_name(host, "alice"),
        ["sudo /usr/bin/id -u", agent_session.answer(SUDO_PROMPT, secrets["users"]["alice"])],
    )
    assert res.status == 0, res.transcript
    assert "0" in res.lines, res.transcript


def test_alice_with_a_wrong_password_is_refused(host):
    res = agent_session.start(
        host.backend.name,
        ad_name(host, "alice"),
        [
            "sudo /usr/bin/id -u",
            agent_session.answer(SUDO_PROMPT, "not-her-password"),
            # At the second prompt she gives up (Ctrl-C), as a user does.
            agent_session.answer(r"Sorry, try again\.\s+" + SUDO_PROMPT, "\x03", newline=False),
        ],
    )
    assert res.status != 0
    assert "Sorry, try again." in res.lines, res.transcript
    assert "0" not in res.lines, res.transcript


def test_dave_has_both_rights(host):
    res = agent_session.start(host.backend.name, ad_name(host, "dave"), ["sudo -n ip -br link"])
    assert res.status == 0, res.transcript
    out = host.check_output(f"sudo -l -U {ad_name(host, 'dave')}")
    assert "(ALL : ALL) ALL" in out


def test_carol_gets_no_sudo_at_all(host, secrets):
    res = agent_session.start(
        host.backend.name,
        ad_name(host, "carol"),
        ["sudo /bin/true", agent_session.answer(SUDO_PROMPT, secrets["users"]["carol"])],
    )
    assert res.status != 0
    assert "not in the sudoers file" in res.transcript or "not allowed" in res.transcript
