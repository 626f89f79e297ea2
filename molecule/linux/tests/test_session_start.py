"""The agent-like session start (molecule/_shared/agent_session.py) agrees with the instance:
credentials are what `id` says, set in full on the shell; HOME is /home/<name as given>; the
shell starts in the agent's working directory; and it refuses what the agent refuses."""

import re

import agent_session
import pytest
from conftest import DOMAIN, ad_name, container_run

# A local account whose primary group was deleted: `id` lists its gid as a bare number.
STALE = "ssm.stale-gid_user"
STALE_GID = 4242


def status_ids(session, field):
    """The ids a /proc/self/status line of the session's own shell shows."""
    [line] = [ln for ln in session.lines if ln.startswith(field + ":")]
    return [int(n) for n in line.split(":", 1)[1].split()]


def test_credentials_are_ids_from_id_and_set_in_full(host):
    shown = "grep -E '^(Uid|Gid|Groups):' /proc/$$/status"  # the shell's own ids
    bob = ad_name(host, "bob")
    res = agent_session.start(host.backend.name, bob, [shown])
    assert res.status == 0, res.transcript
    uid, gid = int(host.check_output(f"id -u {bob}")), int(host.check_output(f"id -g {bob}"))
    groups = sorted(int(g) for g in host.check_output(f"id -G {bob}").split())
    assert (res.credentials["uid"], res.credentials["gid"]) == (uid, gid)
    assert sorted(res.credentials["groups"]) == groups
    assert len(groups) > 1  # domain users and networkadmins: the list is passed, not just gid
    # Real, effective, saved and filesystem ids, as setuid(2) by root sets them.
    assert status_ids(res, "Uid") == [uid] * 4 and status_ids(res, "Gid") == [gid] * 4
    assert sorted(status_ids(res, "Groups")) == groups


def test_without_a_profile_the_shell_starts_where_the_agent_runs(host):
    bob = ad_name(host, "bob")
    res = agent_session.start(host.backend.name, bob, ["pwd", 'echo "home=$HOME"'])
    assert res.status == 0, res.transcript
    assert res.lines.index("/usr/bin") < res.lines.index(f"home=/home/{bob}"), res.transcript


def test_home_is_the_name_as_given_in_any_letter_case(host):
    given = "Bob@" + DOMAIN.upper()
    res = agent_session.start(host.backend.name, given, ['echo "home=$HOME user=$(id -un)"'])
    assert res.status == 0, res.transcript
    assert f"home=/home/{given} user={ad_name(host, 'bob')}" in res.lines, res.transcript


def test_a_user_that_does_not_resolve_gets_no_session(host):
    res = agent_session.start(host.backend.name, f"no-such-user@{DOMAIN}", ["pwd"])
    assert not res.started
    assert res.error == f"failed to start pty since RunAs user no-such-user@{DOMAIN} does not exist"


def test_root_gets_no_session(host):
    res = agent_session.start(host.backend.name, "root", ["pwd"])
    assert not res.started and res.error == "invalid uid and gid"


@pytest.fixture
def stale_gid_user(host):
    name = host.backend.name
    steps = [
        ["groupadd", "-g", str(STALE_GID), STALE],
        ["useradd", "-M", "-N", "-g", STALE, STALE],
        ["groupdel", "-f", STALE],
    ]
    try:
        for argv in steps:
            res = container_run(name, argv)
            assert res.returncode == 0, res.stderr
        yield STALE
    finally:
        container_run(name, ["userdel", STALE])
        container_run(name, ["groupdel", STALE])


def test_a_group_id_cannot_name_fails_the_session(host, stale_gid_user):
    ident = host.check_output(f"id {stale_gid_user}")
    assert re.search(rf"\bgroups={STALE_GID}$", ident), ident  # id resolves it, nameless
    res = agent_session.start(host.backend.name, stale_gid_user, ["pwd"])
    assert not res.started and res.error == "invalid group"
