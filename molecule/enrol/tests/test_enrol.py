"""The instance enrolled itself from the stored launch script: joined, homes, sudo rules, a
second run changes nothing, the run-as report is green for it, and the join secret is nowhere."""

import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
from pathlib import Path

import pytest
from conftest import (
    SERVICE,
    in_instance,
    journal,
    keep_log,
    run,
    state,
    wait_for_service,
)

DOMAIN = "example.test"
SCENARIO = Path(os.environ.get("MOLECULE_SCENARIO_DIRECTORY", Path(__file__).parents[1]))
SEARCHED = ["/etc", "/var", "/home", "/root", "/run", "/usr/local", "/opt", "/srv"]
SEARCHED += ["/tmp"]  # noqa: S108 - searched, not written


def recaps(text):
    return re.findall(
        r"localhost\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", text
    )


def test_the_user_data_is_the_stored_launch_script(instance, launched, stored_user_data, secrets):
    ran = in_instance(instance, "cat", "/var/lib/cloud/instance/scripts/part-001").stdout
    assert ran == stored_user_data
    assert ran.startswith("#!/bin/sh\n")
    assert secrets["admin_password"] not in stored_user_data


def test_the_bundle_in_s3_is_the_one_named_and_verified_and_holds_no_secret(
    instance, launched, aws, stored_user_data, secrets
):
    config = json.loads(in_instance(instance, "cat", "/etc/ssm-runas-enrol/config.json").stdout)
    assert config["key"] == f"fleets/web_tier/bundles/{config['sha256']}.tar.gz"
    body = aws("s3").get_object(Bucket=config["bucket"], Key=config["key"])["Body"].read()
    assert hashlib.sha256(body).hexdigest() == config["sha256"]
    with tarfile.open(fileobj=io.BytesIO(body)) as bundle:
        for member in bundle.getmembers():
            text = bundle.extractfile(member).read() if member.isfile() else b""
            assert secrets["admin_password"].encode() not in text, member.name
    assert config["sha256"][:12] in stored_user_data


def test_the_instance_enrolled_at_the_first_attempt(instance, launched):
    assert launched["rc"] == 0, launched["journal"][-3000:]
    enrolled = state(instance)
    assert enrolled["result"] == "converged", enrolled
    assert enrolled["attempts"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", enrolled["enrolled_at"])
    first = recaps(launched["journal"])
    assert len(first) == 1 and first[0][1:] == ("0", "0"), first
    assert int(first[0][0]) > 0


def test_packages_came_from_the_instances_own_repositories(instance, launched):
    assert "installing python3-boto3" in launched["journal"]
    dpkg = in_instance(instance, "dpkg-query", "-W", "-f=${Status}", "python3-boto3")
    assert dpkg.stdout == "install ok installed"


def test_bob_resolves_has_his_home_and_his_sudo_rules(instance, launched):
    bob = f"bob@{DOMAIN}"
    ident = in_instance(instance, "id", bob)
    assert ident.returncode == 0, ident.stderr
    assert f"networkadmins@{DOMAIN}" in ident.stdout
    home = in_instance(instance, "stat", "-c", "%a %U", f"/home/{bob}").stdout.split()
    assert home == ["700", bob]
    rights = in_instance(instance, "sudo", "-l", "-U", bob).stdout
    assert re.search(r"\(ALL\) NOPASSWD: /\S*/ip, /\S*/ss", rights), rights


def test_the_automation_account_exists_with_its_rule(instance, launched):
    ident = in_instance(instance, "id", "-u", "fleet-automation")
    assert ident.returncode == 0 and int(ident.stdout) > 0
    rights = in_instance(instance, "sudo", "-l", "-U", "fleet-automation").stdout
    assert "(ALL) NOPASSWD: ALL" in rights


def test_a_second_run_changes_nothing(instance, launched):
    before = state(instance)
    rc = wait_for_service(instance)
    text = journal(instance)
    keep_log("journal-second-run.txt", text)
    assert rc == 0
    assert "is here already" in text  # the bundle is not fetched again
    last = recaps(text)[-1]
    assert last == ("0", "0", "0"), text[-2000:]
    after = state(instance)
    assert after["result"] == "converged"
    assert after["bundle_sha256"] == before["bundle_sha256"]


def test_the_run_as_report_is_green_for_the_instance(lab, instance, launched, tmp_path):
    """federated.ssm_runas.verify reads the instance (read-only) and says where it came from."""
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    for item in (SCENARIO / "inventory").iterdir():
        (inventory / item.name).symlink_to(item)
    (inventory / "instances.podman_containers.yml").write_text(
        "plugin: containers.podman.podman_containers\n"
        "label_selectors:\n"
        f"  io.federated.ssm_runas.lab: {lab['name']}\n"
        "  io.federated.ssm_runas.role: instance\n"
        "groups:\n  ssm_instances: true\n"
    )
    (tmp_path / "report.yml").write_text(
        'ad_join_password: "{{ molecule_lab_secrets.admin_password }}"\n'
        f"runas_report_ldap: {{server: {lab['dc_ip']}, validate_certs: false}}\n"
        "runas_report_expect: {mallory: claim}\n"
        f"runas_report_dir: {tmp_path / 'report'}\n"
    )
    res = run(
        [
            "ansible-playbook",
            "federated.ssm_runas.verify",
            "-i",
            str(inventory),
            "-e",
            f"@{tmp_path / 'report.yml'}",
        ],
        env=dict(os.environ, ANSIBLE_NOCOLOR="1"),
    )
    keep_log("report-run.txt", res.stdout + res.stderr)
    assert res.returncode == 0, res.stdout[-4000:]
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    bob = next(u for u in report["users"] if u["user"] == "bob")
    assert bob["status"] == "green", bob
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert state(instance)["bundle_sha256"][:12] in markdown


def test_the_secret_is_in_no_log_no_argv_no_environment(instance, launched, secrets):
    password = secrets["admin_password"]
    samples = in_instance(instance, "cat", "/run/enrol-samples.log").stdout
    assert samples.count("SAMPLE\n") > 20, "the sampler hardly ran"
    assert "ansible.cli.playbook" in samples, "the sampler missed the playbook"
    assert "SSM_RUNAS_SECRET_FD=" in samples  # the descriptor's number, never the value
    assert password not in samples
    assert password not in launched["journal"]
    full = in_instance(instance, "journalctl", "--no-pager", "-o", "cat").stdout
    keep_log("journal-all.txt", full)
    assert password not in full


def test_no_file_on_the_instance_holds_the_secret(instance, launched, secrets):
    # grep reads the pattern from stdin, so the password is in no argv here either.
    res = in_instance(
        instance,
        "grep",
        "-rlaF",
        "--devices=skip",
        "-f",
        "/dev/stdin",
        *SEARCHED,
        stdin=secrets["admin_password"] + "\n",
    )
    assert res.returncode == 1, f"found in: {res.stdout}{res.stderr}"


@pytest.mark.parametrize("path", ["/var/lib/ssm-runas-enrol", "/etc/ssm-runas-enrol"])
def test_nothing_of_the_enrolment_is_world_writable(instance, launched, path):
    res = in_instance(instance, "find", path, "-perm", "-o+w")
    assert res.returncode == 0 and res.stdout == ""


def test_the_service_runs_again_at_each_boot_without_holding_boot_up(instance, launched):
    assert in_instance(instance, "systemctl", "is-enabled", SERVICE).stdout.strip() == "enabled"
    # Wanted by multi-user.target but not ordered before it: a retrying enrolment never delays
    # the boot (cloud-final.service, the SSM agent's peers) for its retry_seconds.
    after = in_instance(instance, "systemctl", "show", "-p", "After", "multi-user.target").stdout
    assert SERVICE not in after
    wants = in_instance(instance, "systemctl", "show", "-p", "Wants", "multi-user.target").stdout
    assert SERVICE in wants


def test_no_unit_failed(instance, launched):
    failed = subprocess.run(
        ["podman", "exec", instance, "systemctl", "--failed", "--plain", "--no-legend"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert SERVICE not in failed
