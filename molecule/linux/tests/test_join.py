"""What the joined instances say: realm, names, homes where the SSM agent expects them."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import DOMAIN, ad_name, fully_qualified

MEMBERS = {
    # user: groups that give a home (ad_join_home_groups)
    "bob": ["networkadmins"],
    "alice": ["sysadmins"],
    "dave": ["networkadmins", "sysadmins"],
    "erin": ["help desk"],
}


def test_realm_is_configured(host):
    out = host.check_output("realm list")
    assert out.splitlines()[0] == DOMAIN
    assert "configured: kerberos-member" in out
    login_format = f"%U@{DOMAIN}" if fully_qualified(host.backend.name) else "%U"
    assert f"login-formats: {login_format}" in out


def test_bob_resolves_with_his_ad_group(host):
    out = host.check_output(f"id {ad_name(host, 'bob')}")
    assert f"({ad_name(host, 'networkadmins')})" in out


def test_upn_in_other_letter_case_resolves_to_the_canonical_name(host):
    # With short names too: SSSD takes the qualified name and answers with its own form.
    assert host.check_output(f"id -un Bob@{DOMAIN.upper()}") == ad_name(host, "bob")


@pytest.mark.parametrize("user", sorted(MEMBERS))
def test_group_members_have_homes_as_the_agent_expects(host, user):
    name = ad_name(host, user)
    home = host.file(f"/home/{name}")
    assert home.is_directory
    assert home.user == name
    assert home.uid == int(host.check_output(f"id -u {name}"))
    assert home.gid == int(host.check_output(f"id -g {name}"))
    assert home.mode == 0o700
    assert host.file(f"/home/{name}/.bashrc").user == name  # copied from /etc/skel
    # NSS agrees with the agent's HOME=/home/<tag>.
    assert host.user(name).home == f"/home/{name}"


def test_user_in_no_group_gets_no_home(host):
    carol = ad_name(host, "carol")
    assert host.run(f"id {carol}").rc == 0
    assert not host.file(f"/home/{carol}").exists


def test_sssd_keys_are_set_and_realmd_keys_survive(host):
    conf = host.file("/etc/sssd/sssd.conf")
    assert conf.mode in (0o600, 0o640)  # Debian 13 sssd.service adds g+r
    text = conf.content_string
    section = text.split(f"[domain/{DOMAIN}]", 1)[1].split("\n[", 1)[0]
    qualified = fully_qualified(host.backend.name)
    assert f"use_fully_qualified_names = {qualified}" in section
    assert f"override_homedir = /home/%u{'@%d' if qualified else ''}" in section
    # Written by realmd at join time: edited around, not overwritten.
    assert f"ad_domain = {DOMAIN}" in section
    assert "realmd_tags = " in section


def test_realmd_needs_no_packagekit(host):
    assert host.run("dpkg-query -W packagekit").rc != 0


def test_join_needs_no_samba_tools_or_kerberos_clients(host):
    # The clock check reads the DC's rootDSE in Python; kinit only for a keytab join.
    for package in ("samba-common-bin", "krb5-user"):
        assert host.run(f"dpkg-query -W -f '${{db:Status-Status}}' {package}").stdout != "installed"


def test_preflight_reads_the_dcs_clock_as_the_hosts_own(host):
    # The lab's containers share one kernel clock: the DC's currentTime, read over LDAP by the
    # join preflight, must agree with the instance's to within its whole seconds and the round
    # trip (a wrong time zone or date field would be hours or days off).
    args = {"realm": DOMAIN.upper(), "domain": DOMAIN, "preflight": True}
    done = subprocess.run(
        [
            "ansible",
            "-i",
            str(Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "inventory"),
            host.backend.name,
            "-m",
            "federated.ssm_runas.ad_join_info",
            "-a",
            json.dumps(args),
            "-o",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    text = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout)  # whatever colour the caller's env asks
    result, _end = json.JSONDecoder().raw_decode(text.split(" => ", 1)[1])
    assert result["domain_controller"].lower().endswith("." + DOMAIN), result
    assert abs(result["clock_offset"]) <= 2, result
