"""Run the aws_federation role against moto and read back what AWS says (test-only)."""

import base64
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import boto3

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
PLAYBOOK = HERE / "aws_federation.yml"
METADATA = HERE / "adfs-metadata.xml"
ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
CREDS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
READ_PREFIXES = ("Get", "List", "Describe")


def base_vars(endpoint, **extra):
    data = {
        "aws_federation_account_id": ACCOUNT,
        "aws_federation_connection": {"endpoint_url": endpoint},
        "aws_federation_region": REGION,
        "aws_federation_saml_metadata_file": str(METADATA),
        "aws_federation_upn_suffix": "example.test",
        "aws_federation_allowed_tag_keys": ["SSMSessionRunAs"],
        "aws_federation_instance_tag": {"SessionManager": "enabled"},
        "aws_federation_roles": [
            {
                "name": "ADFS-SSM-RunAs",
                "max_session_duration": 28800,
                "tags": {"purpose": "ssm-runas"},
            }
        ],
        "aws_federation_session_preferences": {
            "run_as_enabled": True,
            "run_as_default_user": "ssm-fallback",
            "idle_session_timeout": 20,
            "max_session_duration": 480,
            "cloudwatch_log_group_name": "/ssm/sessions",
            "cloudwatch_streaming_enabled": True,
            "shell_profile": {"linux": "cd $HOME"},
        },
    }
    data.update(extra)
    return data


def run_role(tmp_path, variables, check=False, diff=True):
    """Run the role; returns (rc, tasks) with tasks = [(name, host result)] from the JSON log."""
    varfile = tmp_path / "vars.json"
    varfile.write_text(json.dumps(variables))
    env = dict(
        os.environ,
        **CREDS,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_DEPRECATION_WARNINGS="false",
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
    )
    argv = [
        str(Path(sys.executable).with_name("ansible-playbook")),
        "-i",
        "localhost,",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "-e",
        f"@{varfile}",
        str(PLAYBOOK),
    ]
    if check:
        argv.append("--check")
    if diff:
        argv.append("--diff")
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    try:
        log = json.loads(proc.stdout[proc.stdout.index("{") :])
    except ValueError as exc:
        raise AssertionError(
            f"no JSON from ansible-playbook:\n{proc.stdout}\n{proc.stderr}"
        ) from exc
    tasks = [
        (t["task"]["name"].split(" : ", 1)[-1], t["hosts"].get("localhost", {}))
        for play in log["plays"]
        for t in play["tasks"]
    ]
    return proc.returncode, tasks


def changed_tasks(tasks):
    return [name for name, result in tasks if result.get("changed")]


def failure(tasks):
    return next((r.get("msg", "") for _, r in tasks if r.get("failed")), "")


def clients(endpoint):
    kwargs = {
        "endpoint_url": endpoint,
        "region_name": REGION,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    return boto3.client("iam", **kwargs), boto3.client("ssm", **kwargs)


def recorder(endpoint, action):
    method = "GET" if action == "download-recording" else "POST"
    # The endpoint is the loopback moto_server the fixture started.
    req = urllib.request.Request(f"{endpoint}/moto-api/recorder/{action}", method=method)  # noqa: S310
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
        return resp.read().decode()


def recorded_calls(endpoint):
    """[(service, action)] for every AWS API request moto recorded."""
    calls = []
    for line in recorder(endpoint, "download-recording").splitlines():
        entry = json.loads(line)
        headers = {k.lower(): v for k, v in entry["headers"].items()}
        target = headers.get("x-amz-target")
        if target:  # JSON protocol (SSM): AmazonSSM.DescribeDocument
            service, action = target.split(".", 1)
        else:  # query protocol (IAM, STS): Action=GetRole in the form body
            body = entry["body"] or ""
            if entry.get("body_encoded"):
                body = base64.b64decode(body).decode()
            action = urllib.parse.parse_qs(body).get("Action", ["?"])[0]
            service = urllib.parse.urlparse(entry["url"]).netloc
            auth = headers.get("authorization", "")
            if "/iam/" in auth:
                service = "iam"
            elif "/sts/" in auth:
                service = "sts"
        calls.append((service, action))
    return calls


def is_write(action):
    return not action.startswith(READ_PREFIXES)
