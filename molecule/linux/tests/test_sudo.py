"""Sudo as a Session Manager shell gets it: an agent-like session (molecule/_shared/
agent_session.py: setuid with the groups `id` lists, HOME=/home/<tag>, no PAM, sh on a pty).

The same outcomes under sudo (Debian 12, 13) and sudo-rs 0.2.5 (Debian 13, group_vars/sudo_rs.yml);
only the words differ, as each prints them (seen on the lab's instances)."""

import re

import agent_session
import pytest
from conftest import ad_name, sudo_rs

SAYS = {
    "sudo": {
        # The password prompt; the answer is typed only once it shows (echo is off by then).
        "prompt": r"\[sudo\] password for [^:]+: $",
        "password required": "sudo: a password is required",
        # sudo -n for a command the user has no rule for: sudo asks for the password first.
        "refused -n": "sudo: a password is required",
        "retry": "Sorry, try again.",
        "list refused": "is not allowed to run sudo",
        "list refused rc": 0,
        # Someone with no rule at all is asked for a password, then refused.
        "asks the unlisted": True,
        "refused": "is not in the sudoers file",
    },
    "sudo-rs": {
        "prompt": r"\[sudo: authenticate\] Password: $",
        "password required": "sudo-rs: interactive authentication is required",
        "refused -n": "sudo-rs: I'm sorry {user}. I'm afraid I can't do that",
        "retry": "sudo: Authentication failed, try again.",
        "list refused": "is not allowed to execute 'list' as {user}",
        "list refused rc": 1,
        "asks the unlisted": False,
        "refused": "sudo-rs: I'm sorry {user}. I'm afraid I can't do that",
    },
}


def says(host, what, user=""):
    said = SAYS["sudo-rs" if sudo_rs(host) else "sudo"][what]
    return said.format(user=user) if isinstance(said, str) else said


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
    name = ad_name(host, user)
    out = host.run(f"sudo -l -U {name}")
    assert out.rc == says(host, "list refused rc")
    assert says(host, "list refused", name) in out.stdout + out.stderr


def test_bob_runs_ip_without_password(host):
    # As a user types it: sudo finds ip through its secure_path.
    res = agent_session.start(host.backend.name, ad_name(host, "bob"), ["sudo -n ip -br link"])
    assert res.status == 0, res.transcript
    assert any(re.match(r"lo\s+UNKNOWN\s", line) for line in res.lines), res.transcript


def test_bob_cannot_run_other_commands(host):
    bob = ad_name(host, "bob")
    res = agent_session.start(host.backend.name, bob, ["sudo -n /bin/true"])
    assert res.status != 0
    assert says(host, "refused -n", bob) in res.lines, res.transcript


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
    assert says(host, "password required") in res.lines, res.transcript


def test_alice_with_her_ad_password_is_root(host, secrets):
    # PAM (sudo's own stack) -> pam_sss -> SSSD -> Kerberos to the DC; typed at sudo's prompt.
    res = agent_session.start(
        host.backend.name,
        ad_name(host, "alice"),
        [
            "sudo /usr/bin/id -u",
            agent_session.answer(says(host, "prompt"), secrets["users"]["alice"]),
        ],
    )
    assert res.status == 0, res.transcript
    assert "0" in res.lines, res.transcript


def test_alice_with_a_wrong_password_is_refused(host):
    res = agent_session.start(
        host.backend.name,
        ad_name(host, "alice"),
        [
            "sudo /usr/bin/id -u",
            agent_session.answer(says(host, "prompt"), "not-her-password"),
            # At the second prompt she gives up (Ctrl-C), as a user does.
            agent_session.answer(
                re.escape(says(host, "retry")) + r"\s+" + says(host, "prompt"),
                "\x03",
                newline=False,
            ),
        ],
    )
    assert res.status != 0
    assert says(host, "retry") in res.lines, res.transcript
    assert "0" not in res.lines, res.transcript


def test_dave_has_both_rights(host):
    res = agent_session.start(host.backend.name, ad_name(host, "dave"), ["sudo -n ip -br link"])
    assert res.status == 0, res.transcript
    out = host.check_output(f"sudo -l -U {ad_name(host, 'dave')}")
    assert "(ALL : ALL) ALL" in out


def test_carol_gets_no_sudo_at_all(host, secrets):
    carol = ad_name(host, "carol")
    steps = ["sudo /bin/true"]
    if says(host, "asks the unlisted"):
        steps.append(agent_session.answer(says(host, "prompt"), secrets["users"]["carol"]))
    res = agent_session.start(host.backend.name, carol, steps)
    assert res.started and res.error is None, res.transcript
    assert res.status != 0
    assert says(host, "refused", carol) in res.transcript, res.transcript
