"""The inherited_secret lookup through a real ansible-playbook, started the way the enroller
starts it: the secret in a memfd the playbook inherits, its number in SSM_RUNAS_SECRET_FD.

The playbook never prints the secret: it compares its SHA-256 and length with the expected ones,
so the search of the -vvv output for the secret is a real check, not one no_log makes pass.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ansible_collections.federated.ssm_runas.plugins.module_utils.enrol_agent import (
    SECRET_FD_ENV,
)

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = sys.executable.replace("/python", "/ansible-playbook")
LOOKUP = "{{ lookup('federated.ssm_runas.inherited_secret') }}"
SECRET = "p@ss w0rd 'quoted'"  # noqa: S105 - a test value searched for in the output

CHECK = """\
    - name: The secret read {how} is the one handed over
      ansible.builtin.assert:
        that:
          - ({value} | hash('sha256')) == want_sha256
          - ({value} | length) == want_length
        quiet: true
"""


def playbook(tmp_path, want):
    """Two plays over two local hosts with two forks: the bundle's variable, then the lookup."""
    (tmp_path / "hosts.yml").write_text(
        json.dumps(
            {
                "all": {
                    "hosts": {
                        h: {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": sys.executable,
                        }
                        for h in ("first", "second")
                    },
                    # As the bundle's inventory has it: templated where a task uses it.
                    "vars": {"ad_join_password": LOOKUP},
                }
            }
        )
    )
    plays = []
    for name, how, value in [
        ("Through the inventory variable", "through the variable", "ad_join_password"),
        ("Through the lookup itself", "directly", "lookup('federated.ssm_runas.inherited_secret')"),
    ]:
        plays.append(
            f"- name: {name}\n"
            "  hosts: all\n"
            "  gather_facts: false\n"
            "  vars:\n"
            f"    want_sha256: {hashlib.sha256(want.encode()).hexdigest()}\n"
            f"    want_length: {len(want)}\n"
            "  tasks:\n" + CHECK.format(how=how, value=value)
        )
    (tmp_path / "play.yml").write_text("".join(plays))


def run(tmp_path, env_value=None, *, fd=None, verbosity="-vvv"):
    env = {k: v for k, v in os.environ.items() if k != SECRET_FD_ENV}
    env.update(
        ANSIBLE_CONFIG=str(tmp_path / "none.cfg"),  # no configuration file: the defaults
        ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections"),
        ANSIBLE_HOME=str(tmp_path / "home"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORKS="2",
    )
    if env_value is not None:
        env[SECRET_FD_ENV] = env_value
    done = subprocess.run(
        [PLAYBOOK, "-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml"), verbosity],
        env=env,
        pass_fds=() if fd is None else (fd,),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def memfd(data: bytes) -> int:
    fd = os.memfd_create("test-secret", 0)
    os.write(fd, data)
    return fd


def recaps(out):
    found = re.findall(
        r"^(\S+)\s+: ok=(\d+)\s+changed=\d+\s+unreachable=\d+\s+failed=(\d+)", out, re.M
    )
    assert found, out
    return {host: (int(ok), int(failed)) for host, ok, failed in found}


@pytest.mark.parametrize(
    "secret",
    [SECRET, 'x {{ 7 * 6 }} {% raw %}"\\ é\tΩ$HOME'],
    ids=["quoted", "template-like"],
)
def test_every_play_and_fork_reads_the_handed_over_secret_and_never_shows_it(tmp_path, secret):
    playbook(tmp_path, secret)
    fd = memfd(json.dumps(secret).encode())
    try:
        rc, out = run(tmp_path, str(fd), fd=fd)
    finally:
        os.close(fd)
    assert rc == 0, out
    assert recaps(out) == {"first": (2, 0), "second": (2, 0)}
    assert "ansible-playbook [core " in out  # -vvv did run
    for shown in (secret, json.dumps(secret), secret.split()[0] + " " + secret.split()[1]):
        assert shown not in out


def test_a_secret_of_another_value_fails_the_comparison(tmp_path):
    playbook(tmp_path, SECRET)
    fd = memfd(json.dumps(SECRET + "!").encode())
    try:
        rc, out = run(tmp_path, str(fd), fd=fd)
    finally:
        os.close(fd)
    assert rc != 0
    assert recaps(out) == {"first": (0, 1), "second": (0, 1)}


def failure(tmp_path, env_value, fd=None):
    playbook(tmp_path, SECRET)
    rc, out = run(tmp_path, env_value, fd=fd, verbosity="-v")
    assert rc != 0, out
    assert recaps(out) == {"first": (0, 1), "second": (0, 1)}
    return out


def test_unset_the_lookup_fails_naming_the_variable(tmp_path):
    out = failure(tmp_path, None)
    assert f"{SECRET_FD_ENV} is unset: this lookup reads a secret" in out


@pytest.mark.parametrize("value", ["x", "-1", "3 ", ""])
def test_a_value_that_is_no_number_fails_naming_the_variable(tmp_path, value):
    out = failure(tmp_path, value)
    expected = "unset" if value == "" else "not a number"
    assert f"{SECRET_FD_ENV} is {expected}" in out


def test_a_closed_descriptor_fails_naming_the_variable_and_its_number(tmp_path):
    out = failure(tmp_path, "987")  # not passed to the child, so closed there
    assert f"{SECRET_FD_ENV}=987: Bad file descriptor" in out


def test_a_descriptor_not_holding_json_fails_without_showing_what_it_holds(tmp_path):
    fd = memfd(b"plain-text-pass")
    try:
        out = failure(tmp_path, str(fd), fd=fd)
    finally:
        os.close(fd)
    assert f"{SECRET_FD_ENV}={fd}: not a JSON value" in out
    assert "plain-text-pass" not in out
