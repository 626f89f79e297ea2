"""Allow/deny decisions of the documents the role actually stored in IAM (read back from moto),
judged by a real evaluator: @cloud-copilot/iam-simulate through iam_eval/simulate.mjs.

moto stores policies but never evaluates their conditions (FACTS §8), so this is where the
trust policy and EC2SSMPermissions prove what they allow."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "iam_eval"))

from harness import ACCOUNT, REPO, base_vars, clients, failure, run_role  # noqa: E402

SIMULATE = HERE / "iam_eval" / "simulate.mjs"
EVALUATOR = REPO / "node_modules" / "@cloud-copilot" / "iam-simulate"
PROVIDER = "ADFS-Eval"
ROLE = "ADFS-Eval-RunAs"
POLICY = "EC2SSMPermissions-Eval"
AUD = "https://signin.aws.amazon.com/saml"
AUD_REGIONAL = "https://us-east-1.signin.aws.amazon.com/saml"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:saml-provider/{PROVIDER}"
USERID = "AROAEXAMPLEROLEID:bob@example.test"
SESSION_PRINCIPAL = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/bob@example.test"
INSTANCE = f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0123456789abcdef0"


def eval_vars(endpoint, state="present"):
    return base_vars(
        endpoint,
        aws_federation_state=state,
        aws_federation_saml_provider_name=PROVIDER,
        aws_federation_policy_name=POLICY,
        aws_federation_saml_audiences=[AUD, AUD_REGIONAL],
        aws_federation_roles=[{"name": ROLE}],
        aws_federation_manage_session_preferences=False,
    )


@pytest.fixture(scope="module")
def stored(moto_endpoint, tmp_path_factory):
    """Apply the role, read back the trust policy and the managed policy; remove at the end."""
    if shutil.which("node") is None or not EVALUATOR.exists():
        pytest.skip("node or @cloud-copilot/iam-simulate missing: run `make setup`")
    tmp = tmp_path_factory.mktemp("decisions")
    rc, tasks = run_role(tmp, eval_vars(moto_endpoint))
    assert rc == 0, failure(tasks)
    iam, _ = clients(moto_endpoint)
    trust = iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"]
    arn = f"arn:aws:iam::{ACCOUNT}:policy/{POLICY}"
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    policy = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    yield {"trust": trust, "permissions": policy}
    rc, tasks = run_role(tmp, eval_vars(moto_endpoint, "absent"))
    assert rc == 0, failure(tasks)


def saml(action, aud=AUD, tags=None, principal=PROVIDER_ARN):
    """An AssumeRoleWithSAML/TagSession request against the role's trust policy."""
    tags = {"SSMSessionRunAs": "bob@example.test"} if tags is None else tags
    context = {"SAML:aud": aud, "aws:TagKeys": list(tags)}
    context.update({f"aws:RequestTag/{k}": v for k, v in tags.items()})
    return "trust", {
        "principal": principal,
        "action": action,
        "resource": {"resource": ROLE_ARN, "accountId": ACCOUNT},
        "contextVariables": context,
    }


def session(action, resource, context=None):
    """A Session Manager request by bob's federated session, against EC2SSMPermissions."""
    base = {"aws:userid": USERID, "aws:PrincipalArn": ROLE_ARN}
    base.update(context or {})
    return "permissions", {
        "principal": SESSION_PRINCIPAL,
        "action": action,
        "resource": {"resource": resource, "accountId": ACCOUNT},
        "contextVariables": base,
    }


TAGGED = {"ssm:resourceTag/SessionManager": "enabled"}
OWN = f"arn:aws:ssm:us-east-1:{ACCOUNT}:session/{USERID}-0a1b2c3d4e5f67890"
OTHERS = f"arn:aws:ssm:us-east-1:{ACCOUNT}:session/AROAEXAMPLEROLEID:alice@example.test-0a1b2c3d4e"
DOC = f"arn:aws:ssm:us-east-1:{ACCOUNT}:document/"
ALLOWED = "Allowed"
DENIED = ("ImplicitlyDenied", "ExplicitlyDenied")

CASES = [
    ("saml-right-audience-and-tag", saml("sts:AssumeRoleWithSAML"), ALLOWED),
    ("tag-session-right-audience-and-tag", saml("sts:TagSession"), ALLOWED),
    ("second-listed-audience", saml("sts:AssumeRoleWithSAML", aud=AUD_REGIONAL), ALLOWED),
    ("wrong-audience", saml("sts:AssumeRoleWithSAML", aud="https://evil.example/saml"), DENIED),
    (
        "another-provider",
        saml("sts:AssumeRoleWithSAML", principal=f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta"),
        DENIED,
    ),
    ("no-run-as-tag", saml("sts:AssumeRoleWithSAML", tags={}), DENIED),
    ("no-run-as-tag-tagsession", saml("sts:TagSession", tags={}), DENIED),
    ("empty-run-as-tag", saml("sts:AssumeRoleWithSAML", tags={"SSMSessionRunAs": ""}), DENIED),
    ("empty-run-as-tag-tagsession", saml("sts:TagSession", tags={"SSMSessionRunAs": ""}), DENIED),
    ("tag-root", saml("sts:AssumeRoleWithSAML", tags={"SSMSessionRunAs": "root"}), DENIED),
    ("tag-ec2-user", saml("sts:TagSession", tags={"SSMSessionRunAs": "ec2-user"}), DENIED),
    (
        "tag-suffix-not-at-end",
        saml("sts:AssumeRoleWithSAML", tags={"SSMSessionRunAs": "bob@example.test.evil"}),
        DENIED,
    ),
    ("tag-only-suffix", saml("sts:TagSession", tags={"SSMSessionRunAs": "@example.test"}), DENIED),
    (
        "foreign-tag-key",
        saml("sts:TagSession", tags={"SSMSessionRunAs": "bob@example.test", "Dept": "net"}),
        DENIED,
    ),
    ("start-on-tagged-instance", session("ssm:StartSession", INSTANCE, TAGGED), ALLOWED),
    (
        "start-with-runshell",
        session("ssm:StartSession", DOC + "SSM-SessionManagerRunShell"),
        ALLOWED,
    ),
    (
        "start-with-another-document",
        session("ssm:StartSession", DOC + "AWS-StartPortForwardingSession"),
        DENIED,
    ),
    ("start-on-untagged-instance", session("ssm:StartSession", INSTANCE), DENIED),
    (
        "start-on-instance-other-tag",
        session("ssm:StartSession", INSTANCE, {"ssm:resourceTag/SessionManager": "no"}),
        DENIED,
    ),
    ("terminate-own-session", session("ssm:TerminateSession", OWN), ALLOWED),
    ("resume-own-session", session("ssm:ResumeSession", OWN), ALLOWED),
    ("terminate-someone-elses-session", session("ssm:TerminateSession", OTHERS), DENIED),
    ("resume-someone-elses-session", session("ssm:ResumeSession", OTHERS), DENIED),
    ("list-sessions-in-console", session("ssm:DescribeSessions", "*"), ALLOWED),
]


def simulations(documents):
    out = []
    for case_id, (kind, request), _ in CASES:
        sim = {"request": request}
        if kind == "trust":
            sim["resourcePolicy"] = documents["trust"]
        else:
            sim["identityPolicies"] = [{"name": POLICY, "policy": documents["permissions"]}]
        out.append({"id": case_id, "simulation": sim})
    return out


@pytest.fixture(scope="module")
def decisions(stored):
    proc = subprocess.run(
        ["node", str(SIMULATE)],
        input=json.dumps({"cases": simulations(stored)}),
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    return {r["id"]: r for r in json.loads(proc.stdout)["results"]}


def test_enough_cases():
    assert len(CASES) >= 15


@pytest.mark.parametrize(("case_id", "request_", "expected"), CASES, ids=[c[0] for c in CASES])
def test_decision(decisions, case_id, request_, expected):
    result = decisions[case_id]
    assert result["errors"] is None, json.dumps(result["errors"], indent=2)
    assert result["ignored"] == [], f"evaluator ignored context keys {result['ignored']}"
    if expected == ALLOWED:
        assert result["result"] == ALLOWED, result
    else:
        assert result["result"] in DENIED, result
