"""Drill: a bad Session Manager preferences input, once preferences exist, is rejected and the
preferences document in (moto's) SSM stays as it was: same content, same version numbers."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from harness import CREDS, REPO, base_vars, clients, failure, run_role
from test_aws_faults import DOCUMENT, reset

pytestmark = pytest.mark.quick

BAD = [
    ({"idle_session_timeout": 90}, "90"),
    ({"max_session_duration": 0}, "0"),
    ({"run_as_default_user": "root;id"}, "root;id"),
    ({"cloudwatch_streaming_enabled": "maybe"}, "maybe"),
]


def document(endpoint):
    _iam, ssm = clients(endpoint)
    described = ssm.describe_document(Name=DOCUMENT)["Document"]
    content = ssm.get_document(Name=DOCUMENT, DocumentVersion="$LATEST")["Content"]
    return content, described["LatestVersion"], described["DefaultVersion"]


def run_module(tmp_path, endpoint, args):
    """session_preferences alone, outside the role: (rc, output)."""
    play = [
        {
            "name": "Preferences drill",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Preferences are set",
                    "federated.ssm_runas.session_preferences": dict(
                        args, endpoint_url=endpoint, region="us-east-1"
                    ),
                }
            ],
        }
    ]
    playbook = tmp_path / "prefs.yml"
    playbook.write_text(json.dumps(play))
    env = dict(
        os.environ,
        **CREDS,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_NOCOLOR="1",
    )
    argv = [
        str(Path(sys.executable).with_name("ansible-playbook")),
        "-i",
        "localhost,",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        str(playbook),
    ]
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture
def existing(moto_endpoint, tmp_path):
    reset(moto_endpoint)
    rc, tasks = run_role(tmp_path, base_vars(moto_endpoint))
    assert rc == 0, failure(tasks)
    return document(moto_endpoint)


@pytest.mark.parametrize(("bad", "shown"), BAD, ids=[next(iter(b[0])) for b in BAD])
def test_bad_preferences_leave_the_document_untouched(
    moto_endpoint, existing, tmp_path, bad, shown
):
    rc, out = run_module(tmp_path, moto_endpoint, bad)
    assert rc != 0, out
    assert next(iter(bad)) in out and shown in out, out
    assert document(moto_endpoint) == existing

    # The same value through the role, next to good ones.
    variables = base_vars(moto_endpoint)
    variables["aws_federation_session_preferences"] = dict(
        variables["aws_federation_session_preferences"], **bad
    )
    rc, tasks = run_role(tmp_path, variables)
    assert rc != 0 and next(iter(bad)) in failure(tasks), failure(tasks)
    assert document(moto_endpoint) == existing
