"""The instance role the role stored in the account reads its bundle and its secret, nothing
else: its stored inline policy judged by @cloud-copilot/iam-simulate (tests/integration has the
full table; this proves the role stores what that table judged). Requests are shaped as the
Service Authorization Reference gives them: an S3 object is arn:aws:s3:::<bucket>/<key>, a
parameter arn:aws:ssm:<region>:<account>:parameter/<name without its leading '/'>.
"""

import json
import os
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import pytest

REPO = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).parents[3]))
SIMULATE = REPO / "tests" / "integration" / "iam_eval" / "simulate.mjs"
ACCOUNT = "123456789012"
ROLE = "Corp-Fleet_Enrol"
BUCKET = "corp.fleet-enrol.example"
PREFIX = "fleets/web_tier/bundles/"
PARAMETER = "/corp/ssm-runas/fleet.join"
INSTANCE_ID = "i-0a1b2c3d4e5f67890"
ALLOWED, IMPLICIT = "Allowed", "ImplicitlyDenied"


@pytest.fixture(scope="module")
def stored(aws):
    iam = aws("iam")
    names = iam.list_role_policies(RoleName=ROLE)["PolicyNames"]
    assert len(names) == 1, names
    document = iam.get_role_policy(RoleName=ROLE, PolicyName=names[0])["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    keys = [o["Key"] for o in aws("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert len(keys) == 1 and keys[0].startswith(PREFIX), keys
    role_id = iam.get_role(RoleName=ROLE)["Role"]["RoleId"]
    return {"policy": document, "key": keys[0], "role_id": role_id}


def decide(stored, action, resource):
    if not (REPO / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        if os.environ.get("SSM_RUNAS_REQUIRE_TOOLS"):
            pytest.fail("@cloud-copilot/iam-simulate is missing: run `make setup`")
        pytest.skip("@cloud-copilot/iam-simulate is missing (npm, test-only): run `make setup`")
    request = {
        "principal": f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/{INSTANCE_ID}",
        "action": action,
        "resource": {"resource": resource, "accountId": ACCOUNT},
        "contextVariables": {
            "aws:userid": f"{stored['role_id']}:{INSTANCE_ID}",
            "aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/{ROLE}",
        },
    }
    sim = {"request": request, "identityPolicies": [{"name": "stored", "policy": stored["policy"]}]}
    done = subprocess.run(
        [shutil.which("node") or "node", str(SIMULATE)],
        input=json.dumps({"cases": [{"id": "one", "simulation": sim}]}),
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    result = json.loads(done.stdout)["results"][0]
    assert result["errors"] is None, result
    return result["result"]


def parameter(name):
    return f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{name.lstrip('/')}"


def test_the_instance_reads_its_bundle_and_its_parameter(stored):
    assert decide(stored, "s3:GetObject", f"arn:aws:s3:::{BUCKET}/{stored['key']}") == ALLOWED
    assert decide(stored, "ssm:GetParameter", parameter(PARAMETER)) == ALLOWED


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("s3:GetObject", f"arn:aws:s3:::{BUCKET}/{PREFIX}{'0' * 64}.tar.gz"),
        ("s3:GetObject", f"arn:aws:s3:::{BUCKET}/other/object"),
        ("s3:ListBucket", f"arn:aws:s3:::{BUCKET}"),
        ("s3:PutObject", f"arn:aws:s3:::{BUCKET}/{PREFIX}{'1' * 64}.tar.gz"),
        ("ssm:GetParameter", parameter("/corp/ssm-runas/other")),
        ("ssm:GetParametersByPath", parameter("/corp/ssm-runas")),
        ("ssm:PutParameter", parameter(PARAMETER)),
        (
            "secretsmanager:GetSecretValue",
            f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:corp/ssm-runas/fleet.join-Ab12Cd",
        ),
    ],
)
def test_nothing_else(stored, action, resource):
    assert decide(stored, action, resource) == IMPLICIT
