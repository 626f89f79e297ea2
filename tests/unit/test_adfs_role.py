"""The adfs_claims role through ansible-playbook: export mode on localhost is idempotent and
check mode predicts it; bad input fails before any connection; no secret shows at -vvvv."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = sys.executable.replace("/python", "/ansible-playbook")
CANARY = "Canary-Pa55-7f3e9c"


def playbook(tmp_path, role_vars, host="localhost", host_vars="ansible_connection=local"):
    inv = tmp_path / "hosts.ini"
    inv.write_text(f"[adfs]\n{host} {host_vars}\n")
    lines = "".join(f"        {k}: {v!r}\n" for k, v in role_vars.items())
    pb = tmp_path / "adfs.yml"
    pb.write_text(
        "- name: AD FS claim rules\n"
        "  hosts: adfs\n"
        "  gather_facts: false\n"
        "  roles:\n"
        "    - role: federated.ssm_runas.adfs_claims\n"
        "      vars:\n" + lines
    )
    return inv, pb


def ansible(inv, pb, *extra):
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(inv.parent / "ansible-tmp"),
        PATH=str(Path(PLAYBOOK).parent) + os.pathsep + env.get("PATH", ""),
    )
    return subprocess.run(
        [PLAYBOOK, "-i", str(inv), str(pb), *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def recap(out):
    m = re.search(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", out)
    assert m, out
    return {
        k: int(v)
        for k, v in zip(("ok", "changed", "unreachable", "failed"), m.groups(), strict=True)
    }


def test_export_on_localhost_is_idempotent_and_check_mode_predicts(tmp_path):
    out_dir = tmp_path / "artifacts"
    inv, pb = playbook(
        tmp_path,
        {
            "adfs_claims_mode": "export",
            "adfs_claims_export_dir": str(out_dir),
            "adfs_claims_standard_rules": ["NameId", "RoleSessionName", "Get AD Groups", "Roles"],
        },
    )
    predicted = ansible(inv, pb, "--check", "--diff")
    assert recap(predicted.stdout)["changed"] == 1, predicted.stdout
    assert not out_dir.exists()
    assert "PrincipalTag:SSMSessionRunAs" in predicted.stdout
    first = ansible(inv, pb)
    assert recap(first.stdout) == {"ok": 4, "changed": 1, "unreachable": 0, "failed": 0}, (
        first.stdout
    )
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "adfs-claims-amazon-web-services.ps1",
        "adfs-claims-amazon-web-services.rules.txt",
    ]
    second = ansible(inv, pb)
    assert recap(second.stdout)["changed"] == 0, second.stdout
    assert recap(ansible(inv, pb, "--check").stdout)["changed"] == 0


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ({"adfs_claims_tag_key": "SSM Run As"}, "adfs_claims_tag_key 'SSM Run As' contains ' '"),
        ({"adfs_claims_rule_name": 'Run "as"'}, "adfs_claims_rule_name 'Run \"as\"' contains"),
        ({"adfs_claims_ldap_attribute": "cn"}, "adfs_claims_ldap_attribute"),
    ],
)
def test_bad_input_fails_before_connecting_and_hides_the_password(tmp_path, bad, needle):
    # 192.0.2.1 (TEST-NET-1) never answers: any connection attempt would show as UNREACHABLE.
    inv, pb = playbook(
        tmp_path,
        {"adfs_claims_backup_dir": str(tmp_path / "b"), **bad},
        host="adfs1",
        host_vars=(
            "ansible_host=192.0.2.1 ansible_connection=winrm ansible_user=EXAMPLE\\\\admin "
            f"ansible_password={CANARY} ansible_winrm_transport=ntlm "
            "ansible_winrm_connection_timeout=3 ansible_winrm_read_timeout_sec=5 "
            "ansible_winrm_operation_timeout_sec=4"
        ),
    )
    res = ansible(inv, pb, "-vvvv")
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert recap(res.stdout)["unreachable"] == 0, out
    assert needle in out
    assert "ESTABLISH WINRM CONNECTION" not in out
    assert CANARY not in out


def test_winrm_connection_attempt_does_not_print_the_password(tmp_path):
    inv, pb = playbook(
        tmp_path,
        {"adfs_claims_backup_dir": str(tmp_path / "b")},
        host="adfs1",
        host_vars=(
            "ansible_host=127.0.0.1 ansible_port=1 ansible_connection=winrm "
            f"ansible_user=admin ansible_password={CANARY} ansible_winrm_transport=ntlm "
            "ansible_winrm_scheme=http"
        ),
    )
    res = ansible(inv, pb, "-vvvv")
    out = res.stdout + res.stderr
    assert "ESTABLISH WINRM CONNECTION" in out, out
    assert recap(res.stdout)["unreachable"] == 1
    assert CANARY not in out


def test_ad_user_password_never_shows_even_when_refused(tmp_path):
    inv, pb = playbook(
        tmp_path,
        {
            "adfs_claims_mode": "export",
            "adfs_claims_export_dir": str(tmp_path / "out"),
            "adfs_claims_ad_users": [{"name": "bob", "password": CANARY, "groups": ["SysAdmins"]}],
        },
    )
    res = ansible(inv, pb, "-vvvv")
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "adfs_claims_mode is 'export'" in out
    assert CANARY not in out
