"""The join secret appears nowhere: not in a -vvvv run's output, not in any process's argv
during that run's re-join, not in any file on the instances."""

import os
from pathlib import Path

import lab_hosts
import pytest
from conftest import container_run

LOG = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "secret-run.log"
# Everywhere a role, realmd, SSSD or Ansible's remote temp files could have written.
SEARCHED = ["/etc", "/var/lib", "/var/cache", "/var/log", "/home", "/root", "/run"]
SEARCHED += ["/tmp", "/var/tmp"]  # noqa: S108 - searched, not written


@pytest.fixture(scope="module")
def run_log():
    if not LOG.exists():
        pytest.skip("no -vvvv run log: the side_effect step did not run (run the full sequence)")
    return LOG.read_text(errors="replace")


def test_vvvv_run_rejoined_every_host(run_log):
    assert "Host is joined to the realm (secret on stdin, never in argv)" in run_log
    recap = run_log.split("PLAY RECAP", 1)[1]
    assert recap.count("failed=0") == len(lab_hosts.hosts()), recap
    assert "censored" in run_log  # no_log hid the join task's arguments and result


def test_vvvv_output_has_no_password(run_log, secrets):
    assert secrets["admin_password"] not in run_log


def test_process_list_during_join_has_no_password(host, secrets):
    samples = container_run(host.backend.name, ["cat", "/run/ps-samples.log"])
    if samples.returncode != 0:
        pytest.skip("no process samples: the side_effect step did not run")
    assert samples.stdout.count("\nCOMMAND") > 20, "the sampler hardly ran"
    assert "realm join" in samples.stdout, "the sampler missed the join"
    assert secrets["admin_password"] not in samples.stdout


def test_no_file_on_the_host_holds_the_password(host, secrets):
    # grep reads the pattern from stdin, so the password is in no argv here either.
    res = container_run(
        host.backend.name,
        ["grep", "-rlaF", "--devices=skip", "-f", "/dev/stdin", *SEARCHED],
        stdin=secrets["admin_password"] + "\n",
    )
    assert res.stdout.strip() == "", f"password found in: {res.stdout}"
    assert res.returncode in (1, 2), res.stderr
