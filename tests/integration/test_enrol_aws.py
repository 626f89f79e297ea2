"""The enrolment's AWS side through the aws_federation role against moto, the amazon.aws way:
check -> apply -> check -> apply, then removal the same way. Check mode predicts exactly and
writes nothing; a second apply changes nothing; removal leaves nothing of the enrolment and
keeps the federation; bad settings stop before any AWS call.
"""

import base64
import json
import sys
import urllib.parse
from pathlib import Path

import boto3
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "iam_eval"))

from harness import base_vars, changed_tasks, failure, recorder, run_role  # noqa: E402

BUCKET = "ops.enrol-bundles.example"
ROLE = "Ops_Enrol-Instances"
TEMPLATE = "ops/enrol-fleet"
PARAMETER = "/ops/enrol/join"
ENROL = {
    "bucket": BUCKET,
    "prefix": "bundles/fleet-a/",
    "secret_store": "ssm",
    "secret_name": PARAMETER,
    "instance_role": ROLE,
    "launch_template": TEMPLATE,
    "launch_template_data": {"image_id": "ami-12c6146b", "instance_type": "t3.small"},
}
PASSWORD = "Join-Only!secret 'x'"  # noqa: S105 - a test value for moto


def enrol_vars(endpoint, tmp_path, **enrol):
    return base_vars(
        endpoint,
        aws_federation_enrol={**ENROL, **enrol},
        aws_federation_enrol_join_password=PASSWORD,
        aws_federation_enrol_dest=str(tmp_path / "bundles"),
        ad_join_user="svc-join",
    )


def client(endpoint, service):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's dummy key
    )


def snapshot(endpoint):
    """What the enrolment owns in the account, as AWS lists it."""
    s3, iam, ec2, ssm = (client(endpoint, s) for s in ("s3", "iam", "ec2", "ssm"))
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    objects = (
        [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
        if BUCKET in buckets
        else []
    )
    roles = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    return {
        "buckets": sorted(buckets),
        "objects": objects,
        "roles": sorted(roles),
        "role_policies": iam.list_role_policies(RoleName=ROLE)["PolicyNames"]
        if ROLE in roles
        else [],
        "profiles": sorted(
            p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]
        ),
        "templates": sorted(
            t["LaunchTemplateName"] for t in ec2.describe_launch_templates()["LaunchTemplates"]
        ),
        "parameters": sorted(p["Name"] for p in ssm.describe_parameters()["Parameters"]),
    }


def writes(endpoint):
    """Every recorded request that could change the account: query and JSON protocol actions
    other than reads, and S3's REST requests other than GET and HEAD."""
    found = []
    for line in recorder(endpoint, "download-recording").splitlines():
        entry = json.loads(line)
        headers = {k.lower(): v for k, v in entry["headers"].items()}
        body = entry.get("body") or ""
        if entry.get("body_encoded"):
            body = base64.b64decode(body).decode(errors="replace")
        action = (headers.get("x-amz-target") or "").rpartition(".")[2] or (
            urllib.parse.parse_qs(body).get("Action", [""])[0]
            if "x-www-form-urlencoded" in headers.get("content-type", "")
            else ""
        )
        if action:
            if not action.startswith(("Get", "List", "Describe")):
                found.append(action)
        elif entry["method"] not in ("GET", "HEAD"):
            found.append(f"{entry['method']} {entry.get('url') or entry.get('path')}")
    return found


def test_check_apply_check_apply_then_removal_the_same_way(moto_endpoint, tmp_path):
    before = snapshot(moto_endpoint)
    recorder(moto_endpoint, "start-recording")

    rc, tasks = run_role(tmp_path, enrol_vars(moto_endpoint, tmp_path), check=True)
    assert rc == 0, failure(tasks)
    predicted = changed_tasks(tasks)
    assert snapshot(moto_endpoint) == before, "check mode wrote to the account"

    rc, tasks = run_role(tmp_path, enrol_vars(moto_endpoint, tmp_path))
    assert rc == 0, failure(tasks)
    applied = changed_tasks(tasks)
    enrol_tasks = {
        "Bundle bucket is present, private and encrypted",
        "Bundle is stored under its SHA-256",
        "Join secret is an SSM SecureString parameter",
        "Instance role and profile are present",
        "Instance role reads only its bundle and its secret",
        "Launch template carries the launch script",
    }
    assert enrol_tasks <= set(applied), applied
    # A fresh account: check mode cannot ask the bucket and the role it would create, so one
    # task each stands for what would be put in them (s3_bucket has no check mode at all).
    stand_ins = {
        "Bundle bucket would be created, and the bundle stored in it (check mode)": {
            "Bundle bucket is present, private and encrypted",
            "Bundle is stored under its SHA-256",
        },
        "Instance role's policy and launch template would be put on the role check mode "
        "creates (check mode)": {
            "Instance role reads only its bundle and its secret",
            "Launch template carries the launch script",
        },
    }
    covered = set(predicted) | {
        t for name, ts in stand_ins.items() if name in predicted for t in ts
    }
    assert enrol_tasks <= covered, predicted
    after = snapshot(moto_endpoint)
    assert BUCKET in after["buckets"] and ROLE in after["roles"] and ROLE in after["profiles"]
    assert after["templates"] == [TEMPLATE] and after["parameters"] == [PARAMETER]
    assert len(after["objects"]) == 1 and after["objects"][0].startswith("bundles/fleet-a/")
    stored = client(moto_endpoint, "ssm").get_parameter(Name=PARAMETER, WithDecryption=True)
    assert stored["Parameter"]["Type"] == "SecureString"
    assert stored["Parameter"]["Value"] == PASSWORD

    for check in (True, False):
        recorder(moto_endpoint, "stop-recording")
        recorder(moto_endpoint, "reset-recording")
        recorder(moto_endpoint, "start-recording")
        rc, tasks = run_role(tmp_path, enrol_vars(moto_endpoint, tmp_path), check=check)
        assert rc == 0, failure(tasks)
        assert changed_tasks(tasks) == [], (check, changed_tasks(tasks))
        assert writes(moto_endpoint) == [], (check, writes(moto_endpoint))
    assert snapshot(moto_endpoint) == after

    absent = enrol_vars(moto_endpoint, tmp_path, state="absent")
    rc, tasks = run_role(tmp_path, absent, check=True)
    assert rc == 0, failure(tasks)
    assert changed_tasks(tasks), "check mode predicted no removal"
    assert snapshot(moto_endpoint) == after, "check mode removed something"
    rc, tasks = run_role(tmp_path, absent)
    assert rc == 0, failure(tasks)
    gone = snapshot(moto_endpoint)
    assert BUCKET not in gone["buckets"] and ROLE not in gone["roles"]
    assert ROLE not in gone["profiles"] and gone["templates"] == [] and gone["parameters"] == []
    # The federation stays: only the enrolment was removed.
    assert "ADFS-SSM-RunAs" in gone["roles"]
    rc, tasks = run_role(tmp_path, absent)
    assert rc == 0, failure(tasks)
    assert changed_tasks(tasks) == []


@pytest.mark.parametrize(
    ("enrol", "words"),
    [
        ({"bucket": "Ops_Bundles"}, "aws_federation_enrol.bucket 'Ops_Bundles'"),
        ({"bucket": None}, "aws_federation_enrol.bucket '': an S3 bucket name"),
        ({"secret_name": "ssm/join"}, "start with 'aws' or 'ssm'"),
        ({"launch_template_data": {"user_data": "x"}}, "launch_template_data: user_data"),
        ({"linux_vars": {"ad_join_password": "x"}}, "a secret never goes into the bundle"),
        ({"linux_vars": {"ad_join_join_method": "keytab"}}, "ad_join_join_method is 'keytab'"),
    ],
)
def test_bad_settings_stop_before_any_aws_write(moto_endpoint, tmp_path, enrol, words):
    recorder(moto_endpoint, "stop-recording")
    recorder(moto_endpoint, "reset-recording")
    recorder(moto_endpoint, "start-recording")
    rc, tasks = run_role(tmp_path, enrol_vars(moto_endpoint, tmp_path, **enrol))
    assert rc != 0
    assert words in failure(tasks), failure(tasks)
    assert writes(moto_endpoint) == []


def test_an_empty_join_password_with_a_managed_secret_is_refused(moto_endpoint, tmp_path):
    variables = enrol_vars(moto_endpoint, tmp_path)
    variables["aws_federation_enrol_join_password"] = ""
    rc, tasks = run_role(tmp_path, variables)
    assert rc != 0
    assert "aws_federation_enrol_join_password is empty" in failure(tasks)
    assert json.dumps(tasks).count(PASSWORD) == 0
