"""Allow/deny decisions of the documents the role actually stored in IAM (read back from moto),
judged by a real evaluator, @cloud-copilot/iam-simulate (through iam_eval/simulate.mjs), and by
the report's own evaluator (plugins/plugin_utils/iam_conditions.py), which must agree on every
case.

moto stores policies but never evaluates their conditions (FACTS §8), so this is where the
trust policy and EC2SSMPermissions prove what they allow.

Each request is shaped the way AWS sends it, from AWS's documentation, never from the policy
under test:

- A SAML sign-in is ``sts:AssumeRoleWithSAML`` plus ``sts:TagSession`` on the role, with
  ``SAML:aud``, ``aws:RequestTag/<key>`` and ``aws:TagKeys`` for each ``PrincipalTag:<key>``
  attribute of the assertion, and ``sts:TransitiveTagKeys`` for the keys its
  ``TransitiveTagKeys`` attribute lists (IAM User Guide, "Passing session tags in STS",
  "Chaining roles with session tags"; Service Authorization Reference, AWS STS condition keys).
- A federated session calls Session Manager as
  ``arn:aws:sts::<account>:assumed-role/<role>/<RoleSessionName>``; its ``aws:userid`` is
  ``<role id>:<RoleSessionName>`` (IAM User Guide, "AWS global condition context keys",
  aws:userid) and its session tags are ``aws:PrincipalTag/<key>`` (same page).
- A Session Manager session's ARN is ``arn:aws:ssm:<region>:<account>:session/<session id>``
  (Service Authorization Reference, Systems Manager resource types); the id is
  ``<caller name>-<17 hex digits>``, the caller name of a federated session being its
  RoleSessionName, and Session Manager tags the session with
  ``aws:ssmmessages:session-id`` = ``<role id>:<RoleSessionName>``, seen by IAM as
  ``ssm:resourceTag/aws:ssmmessages:session-id`` (Session Manager User Guide, "Additional
  sample IAM policies", ending only one's own sessions; FACTS §6).
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import iam_conditions as ic

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "iam_eval"))

from harness import ACCOUNT, REPO, base_vars, clients, failure, run_role  # noqa: E402

SIMULATE = HERE / "iam_eval" / "simulate.mjs"
EVALUATOR = REPO / "node_modules" / "@cloud-copilot" / "iam-simulate"
KEY = "SSMSessionRunAs"
AUD = "https://signin.aws.amazon.com/saml"
AUD_REGIONAL = "https://us-east-1.signin.aws.amazon.com/saml"
BOB = "bob@example.test"
HEX = "0a1b2c3d4e5f67890"  # 17 hex digits, as in a real session id
# Two deployments: the defaults (no tag key besides the run-as key), and one that declares
# Department in ssm_runas.aws.allowed_tag_keys.
DEPLOYMENTS = {
    "default": {"suffix": "Eval", "allowed_tag_keys": []},
    "declared": {"suffix": "EvalDept", "allowed_tag_keys": ["Department"]},
}
ALLOWED, IMPLICIT = "Allowed", "ImplicitlyDenied"
TO_SIMULATOR = {ic.ALLOW: ALLOWED, ic.IMPLICIT_DENY: IMPLICIT, ic.EXPLICIT_DENY: "ExplicitlyDenied"}


def names(deployment):
    suffix = DEPLOYMENTS[deployment]["suffix"]
    return {
        "provider": f"ADFS-{suffix}",
        "role": f"ADFS-{suffix}-RunAs",
        "policy": f"EC2SSMPermissions-{suffix}",
    }


def eval_vars(endpoint, deployment, state="present"):
    name = names(deployment)
    return base_vars(
        endpoint,
        aws_federation_state=state,
        aws_federation_saml_provider_name=name["provider"],
        aws_federation_policy_name=name["policy"],
        aws_federation_saml_audiences=[AUD, AUD_REGIONAL],
        aws_federation_allowed_tag_keys=DEPLOYMENTS[deployment]["allowed_tag_keys"],
        aws_federation_roles=[{"name": name["role"]}],
        aws_federation_manage_session_preferences=False,
    )


@pytest.fixture(scope="module")
def stored(moto_endpoint, tmp_path_factory):
    """Apply the role per deployment, read back what IAM holds; remove it all at the end."""
    if shutil.which("node") is None or not EVALUATOR.exists():
        pytest.skip("node or @cloud-copilot/iam-simulate missing: run `make setup`")
    tmp = tmp_path_factory.mktemp("decisions")
    iam, _ = clients(moto_endpoint)
    out = {}
    for deployment in DEPLOYMENTS:
        rc, tasks = run_role(tmp, eval_vars(moto_endpoint, deployment))
        assert rc == 0, failure(tasks)
        name = names(deployment)
        role = iam.get_role(RoleName=name["role"])["Role"]
        arn = f"arn:aws:iam::{ACCOUNT}:policy/{name['policy']}"
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        policy = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
        out[deployment] = {
            "trust": role["AssumeRolePolicyDocument"],
            "permissions": policy["Document"],
            "role_arn": role["Arn"],
            "role_id": role["RoleId"],
            "provider_arn": f"arn:aws:iam::{ACCOUNT}:saml-provider/{name['provider']}",
        }
    yield out
    for deployment in DEPLOYMENTS:
        rc, tasks = run_role(tmp, eval_vars(moto_endpoint, deployment, "absent"))
        assert rc == 0, failure(tasks)


# Requests are described by data; the stored role's ARN and id are filled in per deployment.
def saml(action, tags=None, *, transitive=None, aud=AUD, provider=None, deployment="default"):
    """A sign-in; the run-as key is transitive (as the ADFS rules send it) unless told."""
    tags = {KEY: BOB} if tags is None else tags
    if transitive is None:
        transitive = [KEY] if KEY in tags else []
    context = ic.saml_context(aud, tags, transitive=transitive)
    return {
        "kind": "trust",
        "deployment": deployment,
        "action": action,
        "context": context,
        "provider": provider,
    }


def session(action, resource, caller=BOB, tag=BOB, context=None):
    """A Session Manager call by ``caller``'s federated session, run-as tag ``tag``."""
    extra = dict(context or {})
    if tag is not None:
        extra[f"aws:PrincipalTag/{KEY}"] = tag
    return {
        "kind": "permissions",
        "deployment": "default",
        "action": action,
        "resource": resource,
        "caller": caller,
        "context": extra,
    }


def on_session(action, started_by, caller=BOB, tag_value=None):
    """Act on the session ``started_by`` (a RoleSessionName) started; the resource tag is what
    Session Manager set, or ``tag_value`` (``{role_id}`` is filled in) when given."""
    return session(
        action,
        f"arn:aws:ssm:us-east-1:{ACCOUNT}:session/{started_by}-{HEX}",
        caller=caller,
        context={
            "ssm:resourceTag/aws:ssmmessages:session-id": tag_value or "{role_id}:" + started_by
        },
    )


ASSUME, TAG = "sts:AssumeRoleWithSAML", "sts:TagSession"
START, END, RESUME = "ssm:StartSession", "ssm:TerminateSession", "ssm:ResumeSession"
INSTANCE = f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0123456789abcdef0"
TAGGED = {"ssm:resourceTag/SessionManager": "enabled"}
DOC = f"arn:aws:ssm:us-east-1:{ACCOUNT}:document/"
RUN_SHELL = DOC + "SSM-SessionManagerRunShell"
OKTA = f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta"

CASES = [
    # Trust policy: who may sign in, with which tags.
    ("sign-in", saml(ASSUME), ALLOWED),
    ("sign-in-tagsession", saml(TAG), ALLOWED),
    ("second-listed-audience", saml(ASSUME, aud=AUD_REGIONAL), ALLOWED),
    ("wrong-audience", saml(ASSUME, aud="https://evil.example/saml"), IMPLICIT),
    ("another-provider", saml(ASSUME, provider=OKTA), IMPLICIT),
    ("no-run-as-tag", saml(ASSUME, tags={}), IMPLICIT),
    ("no-run-as-tag-tagsession", saml(TAG, tags={}), IMPLICIT),
    ("empty-run-as-tag", saml(ASSUME, tags={KEY: ""}), IMPLICIT),
    ("empty-run-as-tag-tagsession", saml(TAG, tags={KEY: ""}), IMPLICIT),
    ("tag-root", saml(ASSUME, tags={KEY: "root"}), IMPLICIT),
    ("tag-ec2-user", saml(TAG, tags={KEY: "ec2-user"}), IMPLICIT),
    ("tag-suffix-not-at-end", saml(ASSUME, tags={KEY: BOB + ".evil"}), IMPLICIT),
    ("tag-only-suffix", saml(TAG, tags={KEY: "@example.test"}), IMPLICIT),
    ("tag-other-suffix", saml(TAG, tags={KEY: "bob@partner.test"}), IMPLICIT),
    ("extra-tag-key", saml(TAG, tags={KEY: BOB, "Dept": "net"}), IMPLICIT),
    ("extra-tag-key-assume", saml(ASSUME, tags={KEY: BOB, "Dept": "net"}), IMPLICIT),
    (
        "run-as-key-other-case",
        saml(TAG, tags={KEY.lower(): BOB}, transitive=[KEY.lower()]),
        IMPLICIT,
    ),
    ("run-as-tag-not-transitive", saml(TAG, transitive=[]), IMPLICIT),
    ("run-as-tag-not-transitive-assume", saml(ASSUME, transitive=[]), IMPLICIT),
    (
        "declared-key",
        saml(TAG, tags={KEY: BOB, "Department": "net"}, deployment="declared"),
        ALLOWED,
    ),
    (
        "declared-key-assume",
        saml(ASSUME, tags={KEY: BOB, "Department": "net"}, deployment="declared"),
        ALLOWED,
    ),
    ("declared-deployment-run-as-key-alone", saml(TAG, deployment="declared"), ALLOWED),
    (
        "declared-and-undeclared-key",
        saml(TAG, tags={KEY: BOB, "Department": "n", "Cost": "1"}, deployment="declared"),
        IMPLICIT,
    ),
    (
        "declared-key-transitive-run-as-not",
        saml(
            TAG,
            tags={KEY: BOB, "Department": "net"},
            transitive=["Department"],
            deployment="declared",
        ),
        IMPLICIT,
    ),
    # EC2SSMPermissions: starting sessions needs the run-as tag on the caller.
    ("start-on-tagged-instance", session(START, INSTANCE, context=TAGGED), ALLOWED),
    ("start-with-runshell", session(START, RUN_SHELL), ALLOWED),
    (
        "start-with-another-document",
        session(START, DOC + "AWS-StartPortForwardingSession"),
        IMPLICIT,
    ),
    ("start-on-untagged-instance", session(START, INSTANCE), IMPLICIT),
    (
        "start-on-instance-other-tag",
        session(START, INSTANCE, context={"ssm:resourceTag/SessionManager": "no"}),
        IMPLICIT,
    ),
    ("start-without-principal-tag", session(START, INSTANCE, tag=None, context=TAGGED), IMPLICIT),
    ("start-runshell-without-principal-tag", session(START, RUN_SHELL, tag=None), IMPLICIT),
    ("start-with-empty-principal-tag", session(START, INSTANCE, tag="", context=TAGGED), IMPLICIT),
    (
        "start-with-tag-lacking-suffix",
        session(START, INSTANCE, tag="bob", context=TAGGED),
        IMPLICIT,
    ),
    ("start-with-tag-root", session(START, RUN_SHELL, tag="root"), IMPLICIT),
    (
        "start-with-tag-of-other-suffix",
        session(START, INSTANCE, tag="bob@partner.test", context=TAGGED),
        IMPLICIT,
    ),
    # Ending and resuming: only one's own session, by Session Manager's tag.
    ("terminate-own-session", on_session(END, BOB), ALLOWED),
    ("resume-own-session", on_session(RESUME, BOB), ALLOWED),
    ("terminate-alices-session", on_session(END, "alice@example.test"), IMPLICIT),
    ("resume-alices-session", on_session(RESUME, "alice@example.test"), IMPLICIT),
    ("terminate-session-whose-name-starts-with-bobs", on_session(END, BOB + "2"), IMPLICIT),
    ("resume-session-whose-name-starts-with-bobs", on_session(RESUME, BOB + "2"), IMPLICIT),
    (
        "terminate-session-tagged-with-bobs-id-and-more",
        on_session(END, BOB, tag_value="{role_id}:" + BOB + "-x"),
        IMPLICIT,
    ),
    (
        "terminate-session-of-same-name-in-another-role",
        on_session(END, BOB, tag_value="AROAOTHERROLEID0000:" + BOB),
        IMPLICIT,
    ),
    (
        "terminate-untagged-session",
        session(END, f"arn:aws:ssm:us-east-1:{ACCOUNT}:session/{BOB}-{HEX}"),
        IMPLICIT,
    ),
    ("list-sessions-in-console", session("ssm:DescribeSessions", "*"), ALLOWED),
]


def concrete(case, documents):
    """The request against one deployment's stored documents: (document, principal, action,
    resource ARN, context) with the role's real ARN and id filled in."""
    deployed = documents[case["deployment"]]
    if case["kind"] == "trust":
        principal = case["provider"] or deployed["provider_arn"]
        return (
            deployed["trust"],
            {"Federated": principal},
            case["action"],
            deployed["role_arn"],
            case["context"],
        )
    role = deployed["role_arn"].rsplit("/", 1)[1]
    context = {k: v.format(role_id=deployed["role_id"]) for k, v in case["context"].items()}
    context["aws:userid"] = f"{deployed['role_id']}:{case['caller']}"
    context["aws:PrincipalArn"] = deployed["role_arn"]
    principal = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{case['caller']}"
    return deployed["permissions"], principal, case["action"], case["resource"], context


def simulation(case, documents):
    doc, principal, action, resource, context = concrete(case, documents)
    request = {
        "principal": principal["Federated"] if isinstance(principal, dict) else principal,
        "action": action,
        "resource": {"resource": resource, "accountId": ACCOUNT},
        "contextVariables": context,
    }
    if case["kind"] == "trust":
        return {"request": request, "resourcePolicy": doc}
    return {"request": request, "identityPolicies": [{"name": "EC2SSMPermissions", "policy": doc}]}


@pytest.fixture(scope="module")
def decisions(stored):
    cases = [{"id": cid, "simulation": simulation(case, stored)} for cid, case, _ in CASES]
    proc = subprocess.run(
        ["node", str(SIMULATE)],
        input=json.dumps({"cases": cases}),
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    return {r["id"]: r for r in json.loads(proc.stdout)["results"]}


def test_the_table_covers_every_rule():
    kinds = {case["kind"] for _, case, _ in CASES}
    assert kinds == {"trust", "permissions"}
    assert len(CASES) >= 40
    assert len({cid for cid, _, _ in CASES}) == len(CASES)


def test_what_is_stored_is_what_the_rules_say(stored):
    """The evaluator judges these documents; a glance that they are the new ones."""
    trust = stored["default"]["trust"]["Statement"][0]["Condition"]
    assert trust["ForAllValues:StringEquals"] == {"aws:TagKeys": [KEY]}
    assert trust["ForAnyValue:StringEquals"] == {"sts:TransitiveTagKeys": [KEY]}
    declared = stored["declared"]["trust"]["Statement"][0]["Condition"]
    assert declared["ForAllValues:StringEquals"] == {"aws:TagKeys": [KEY, "Department"]}
    assert stored["default"]["role_id"].startswith("AROA")


@pytest.mark.parametrize(("case_id", "case", "expected"), CASES, ids=[c[0] for c in CASES])
def test_decision(decisions, stored, case_id, case, expected):
    result = decisions[case_id]
    assert result["errors"] is None, json.dumps(result["errors"], indent=2)
    # iam-simulate knows every key used here (sts:TransitiveTagKeys included); a key it
    # ignored would make its decision meaningless.
    assert result["ignored"] == [], f"evaluator ignored context keys {result['ignored']}"
    assert result["result"] == expected, result
    # The report's evaluator reaches the same decision on the same stored document.
    doc, principal, action, resource, context = concrete(case, stored)
    if isinstance(principal, str):
        principal = {"AWS": principal}
    ours = ic.evaluate(doc, principal, action, context, resource=resource)
    assert TO_SIMULATOR.get(ours["decision"]) == result["result"], ours
