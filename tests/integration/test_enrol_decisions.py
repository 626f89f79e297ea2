"""What an enrolling EC2 instance may do with the instance profile enrol_plan builds, judged by a
real evaluator, @cloud-copilot/iam-simulate (through iam_eval/simulate.mjs), on the documents
IAM holds: the role is created in moto with ``trust_policy`` and given ``instance_policy`` as an
inline policy, and both are read back before they are judged.

The instance reads its bundle and its join secret, and nothing else: no other object (not even
another bundle under the same prefix), no listing, no write, no other secret, no decrypting
outside the secret's service.

Each request is shaped the way AWS sends it, from AWS's documentation, never from the policy
under test:

- The instance calls AWS as ``arn:aws:sts::<account>:assumed-role/<role>/<instance id>``; its
  ``aws:userid`` is ``<role id>:<instance id>`` (IAM User Guide, "AWS global condition context
  keys", aws:userid; "IAM roles for Amazon EC2").
- s3:GetObject/PutObject/DeleteObject/GetObjectVersion/GetObjectAcl act on the object,
  ``arn:aws:s3:::<bucket>/<key>``; s3:ListBucket on the bucket, ``arn:aws:s3:::<bucket>``
  (Service Authorization Reference, Amazon S3). A GET without a versionId is authorized as
  s3:GetObject; s3:GetObjectVersion is needed only to read a version by its id (Amazon S3 User
  Guide, "Retrieving object versions"). The enroller reads the current version of a
  content-addressed key, whose content never changes, so GetObjectVersion stays denied.
- secretsmanager:* act on the secret's full ARN, its name followed by '-' and six characters
  AWS adds (Service Authorization Reference, AWS Secrets Manager; Secrets Manager User Guide,
  "Secret ARN"); ListSecrets on '*'.
- ssm:GetParameter, GetParameters, GetParametersByPath, GetParameterHistory and PutParameter act
  on ``arn:aws:ssm:<region>:<account>:parameter/<name without its leading '/'>`` (for
  GetParametersByPath, the path's); DescribeParameters on '*' (Service Authorization Reference,
  AWS Systems Manager). GetParameters (plural) is an action of its own: the enroller calls
  GetParameter, so GetParameters stays denied.
- kms:Decrypt acts on the key's ARN; a call Secrets Manager or Parameter Store makes for the
  caller carries ``kms:ViaService`` = ``secretsmanager.<region>.amazonaws.com`` or
  ``ssm.<region>.amazonaws.com``; a direct call carries none (AWS KMS Developer Guide,
  kms:ViaService; "How AWS Secrets Manager uses AWS KMS"; "How AWS Systems Manager Parameter
  Store uses AWS KMS"). KMS honours IAM policies only where the key's own policy lets the account
  decide, as the default key policy does (AWS KMS Developer Guide, "Default key policy"): the
  cases give each key that policy, and one case shows a key policy naming only its
  administrators keeps the key shut whatever the instance policy says.
- sts:AssumeRole on the role's ARN, by the EC2 service principal when it hands the role to an
  instance (IAM User Guide, "Using an IAM role to grant permissions to applications running on
  Amazon EC2 instances").

Names are deliberately not the lab's: a second account (not moto's default either), a bucket
with dots, nested prefixes, a secret name with / + = . @, a parameter name with a leading '/',
and prefixes holding the characters IAM reads as wildcards and variables (an S3 key may hold
them).
"""

import copy
import json
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import boto3
import pytest
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import enrol_plan as E

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SIMULATE = HERE / "iam_eval" / "simulate.mjs"
EVALUATOR = REPO / "node_modules" / "@cloud-copilot" / "iam-simulate"
ALLOWED, IMPLICIT = "Allowed", "ImplicitlyDenied"

ACCOUNT = "210987654321"  # neither the lab's nor moto's default (123456789012)
OTHER_ACCOUNT = "109876543210"
REGION = "eu-west-3"
OTHER_REGION = "eu-central-1"
BUCKET = "bundles.corp-eu.example"
PREFIX = "fleet/linux/ssm-runas.v2/bundles/"
SHA = "3f1c0e7a9b5d42e68f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6"
OTHER_SHA = "c0ffee00" * 8
SM_NAME = "corp/enrol.v2/join+svc=adm@ad-01"  # the join secret's name in Secrets Manager
PARAMETER = "/corp/enrol.v2/join_svc-01"
RANDOM6 = "Ab12Cd"  # the six characters Secrets Manager appends to a secret's ARN
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef"
INSTANCE_ID = "i-0fedcba9876543210"
POLICY_NAME = "EnrolInstanceRead"
ROLE_ID = "<role id>"  # filled in with the stored role's id

# What the enroller is told: the four combinations of secret store and KMS key, and two prefixes
# holding IAM syntax (their secret part is the first deployment's, judged there).
STANDARD = {
    "secretsmanager": {"secret_store": "secretsmanager", "kms_key_arn": ""},
    "secretsmanager-kms": {"secret_store": "secretsmanager", "kms_key_arn": KMS_KEY},
    "ssm": {"secret_store": "ssm", "kms_key_arn": ""},
    "ssm-kms": {"secret_store": "ssm", "kms_key_arn": KMS_KEY},
}
ODD_PREFIXES = {
    "prefix-with-iam-syntax": {
        "secret_store": "secretsmanager",
        "kms_key_arn": "",
        "prefix": "drop?/${aws:userid}/",
    },
    "prefix-with-star": {
        "secret_store": "secretsmanager",
        "kms_key_arn": "",
        "prefix": "nightly*/",
    },
}
DEPLOYMENTS = {**STANDARD, **ODD_PREFIXES}


def enrolment(deployment):
    """The inputs of one deployment, as a caller hands them to enrol_plan."""
    spec = DEPLOYMENTS[deployment]
    store = spec["secret_store"]
    return {
        "bucket": BUCKET,
        "prefix": spec.get("prefix", PREFIX),
        "secret_store": store,
        "secret_name": SM_NAME if store == "secretsmanager" else PARAMETER,
        "instance_role": f"Enrol.Fleet+{deployment}@{REGION}",
        "account_id": ACCOUNT,
        "region": REGION,
        "kms_key_arn": spec["kms_key_arn"],
    }


def planned_policy(values):
    return E.instance_policy(
        bucket=values["bucket"],
        key=E.bundle_key(values["prefix"], SHA),
        secret_store=values["secret_store"],
        secret_name=values["secret_name"],
        region=values["region"],
        account_id=values["account_id"],
        kms_key_arn=values["kms_key_arn"],
    )


def _document(value):
    """A policy document as IAM hands it back: URL-encoded JSON text, or already a mapping."""
    if isinstance(value, str):
        return json.loads(urllib.parse.unquote(value))
    return value


def stored_instance_policy(iam, role_name, policy_name):
    """The instance profile role's inline policy as IAM holds it."""
    got = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)
    return _document(got["PolicyDocument"])


def iam_client(endpoint):
    """IAM of ACCOUNT in moto: every request names that account (moto's x-moto-account-id)."""
    kwargs = {
        "endpoint_url": endpoint,
        "region_name": REGION,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    iam = boto3.client("iam", **kwargs)

    def in_account(request, **_):
        request.headers["x-moto-account-id"] = ACCOUNT

    iam.meta.events.register("before-sign.iam.*", in_account)
    return iam


@pytest.fixture(scope="module")
def stored(moto_endpoint):
    """Create each deployment's role in moto, read back what IAM holds; remove it at the end."""
    if shutil.which("node") is None or not EVALUATOR.exists():
        pytest.skip("node or @cloud-copilot/iam-simulate missing: run `make setup`")
    iam = iam_client(moto_endpoint)
    out = {}
    try:
        for deployment in DEPLOYMENTS:
            values = enrolment(deployment)
            assert E.check(values, var_prefix="enrol_") == []
            role_name = values["instance_role"]
            iam.create_role(
                RoleName=role_name,
                AssumeRolePolicyDocument=json.dumps(E.trust_policy(REGION)),
            )
            iam.put_role_policy(
                RoleName=role_name,
                PolicyName=POLICY_NAME,
                PolicyDocument=json.dumps(planned_policy(values)),
            )
            role = iam.get_role(RoleName=role_name)["Role"]
            out[deployment] = {
                "trust": _document(role["AssumeRolePolicyDocument"]),
                "permissions": stored_instance_policy(iam, role_name, POLICY_NAME),
                "role_arn": role["Arn"],
                "role_id": role["RoleId"],
                "role_name": role_name,
            }
        yield out
    finally:
        for deployment in out:
            role_name = out[deployment]["role_name"]
            iam.delete_role_policy(RoleName=role_name, PolicyName=POLICY_NAME)
            iam.delete_role(RoleName=role_name)


# ------------------------------------------------------------------------ requests, as data


def obj(key, bucket=BUCKET):
    return f"arn:aws:s3:::{bucket}/{key}"


def secret_arn(name, account=ACCOUNT, region=REGION):
    return f"arn:aws:secretsmanager:{region}:{account}:secret:{name}"


def parameter_arn(name, account=ACCOUNT, region=REGION):
    return f"arn:aws:ssm:{region}:{account}:parameter/{name.removeprefix('/')}"


def via(service, region=REGION):
    return {"kms:ViaService": f"{service}.{region}.amazonaws.com"}


def instance(action, resource, context=None, account=ACCOUNT, key_policy=None):
    """A call by the enrolling instance's role session; ``account`` owns the resource, and a
    KMS key has ``key_policy`` (the default key policy unless told)."""
    return {
        "kind": "instance",
        "action": action,
        "resource": resource,
        "account": account,
        "context": context or {},
        "key_policy": key_policy,
    }


def assume(principal, identity_policy=None):
    """sts:AssumeRole of the instance role by ``principal`` (a service or an ARN)."""
    return {
        "kind": "trust",
        "action": "sts:AssumeRole",
        "principal": principal,
        "identity_policy": identity_policy,
    }


GET = "s3:GetObject"
GET_SECRET, GET_PARAMETER = E.READ_ACTION["secretsmanager"], E.READ_ACTION["ssm"]
DECRYPT = "kms:Decrypt"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
# A key's default key policy: IAM policies of the account decide who uses it (AWS KMS Developer
# Guide, "Default key policy", allows access to the AWS account and enables IAM policies).
DEFAULT_KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}
# A key policy that lets only its administrators in: the instance policy alone cannot open it.
ADMINS_ONLY_KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/KeyAdmins"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}
ASSUME_ANY_ROLE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
}


def s3_cases(prefix):
    key = f"{prefix}{SHA}.tar.gz"
    return [
        (
            "get-other-bundle-same-prefix",
            instance(GET, obj(f"{prefix}{OTHER_SHA}.tar.gz")),
            IMPLICIT,
        ),
        ("get-the-prefix-itself", instance(GET, obj(prefix)), IMPLICIT),
        ("get-bundle-key-and-more", instance(GET, obj(key + ".sig")), IMPLICIT),
        ("get-bundle-in-a-subfolder", instance(GET, obj(f"{prefix}old/{SHA}.tar.gz")), IMPLICIT),
        ("get-bundle-in-parent-folder", instance(GET, obj(f"{SHA}.tar.gz")), IMPLICIT),
        (
            "get-bundle-key-in-bucket-named-ours-and-more",
            instance(GET, obj(key, BUCKET + ".bak")),
            IMPLICIT,
        ),
        ("get-bundle-key-in-another-bucket", instance(GET, obj(key, "other-bundles")), IMPLICIT),
        (
            "list-the-bucket",
            instance("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", {"s3:prefix": prefix}),
            IMPLICIT,
        ),
        ("put-the-bundle", instance("s3:PutObject", obj(key)), IMPLICIT),
        ("delete-the-bundle", instance("s3:DeleteObject", obj(key)), IMPLICIT),
        ("get-a-version-of-the-bundle", instance("s3:GetObjectVersion", obj(key)), IMPLICIT),
        ("get-the-bundle-acl", instance("s3:GetObjectAcl", obj(key)), IMPLICIT),
    ]


def secretsmanager_cases():
    mine = secret_arn(f"{SM_NAME}-{RANDOM6}")
    return [
        ("get-the-secret", instance(GET_SECRET, mine), ALLOWED),
        # Names that start with ours: their ARNs are longer than ours plus six characters.
        (
            "get-secret-named-ours-dash-extra",
            instance(GET_SECRET, secret_arn(f"{SM_NAME}-extra-{RANDOM6}")),
            IMPLICIT,
        ),
        (
            "get-secret-named-ours-and-x",
            instance(GET_SECRET, secret_arn(f"{SM_NAME}x-{RANDOM6}")),
            IMPLICIT,
        ),
        (
            "get-secret-under-ours",
            instance(GET_SECRET, secret_arn(f"{SM_NAME}/child-{RANDOM6}")),
            IMPLICIT,
        ),
        (
            "get-secret-named-ours-but-last",
            instance(GET_SECRET, secret_arn(f"{SM_NAME[:-1]}-{RANDOM6}")),
            IMPLICIT,
        ),
        (
            "get-another-secret",
            instance(GET_SECRET, secret_arn(f"corp/enrol.v2/admin-{RANDOM6}")),
            IMPLICIT,
        ),
        (
            "get-the-secret-in-another-account",
            instance(
                GET_SECRET,
                secret_arn(f"{SM_NAME}-{RANDOM6}", account=OTHER_ACCOUNT),
                account=OTHER_ACCOUNT,
            ),
            IMPLICIT,
        ),
        (
            "get-the-secret-in-another-region",
            instance(GET_SECRET, secret_arn(f"{SM_NAME}-{RANDOM6}", region=OTHER_REGION)),
            IMPLICIT,
        ),
        ("list-secrets", instance("secretsmanager:ListSecrets", "*"), IMPLICIT),
        ("describe-the-secret", instance("secretsmanager:DescribeSecret", mine), IMPLICIT),
        ("put-the-secret-value", instance("secretsmanager:PutSecretValue", mine), IMPLICIT),
        ("read-the-secret-policy", instance("secretsmanager:GetResourcePolicy", mine), IMPLICIT),
        # Parameter Store reads a Secrets Manager secret through this name too.
        (
            "get-the-secret-through-parameter-store",
            instance(GET_PARAMETER, parameter_arn(f"/aws/reference/secretsmanager/{SM_NAME}")),
            IMPLICIT,
        ),
    ]


def ssm_cases():
    mine = parameter_arn(PARAMETER)
    parent = PARAMETER.rsplit("/", 1)[0]
    return [
        ("get-the-parameter", instance(GET_PARAMETER, mine), ALLOWED),
        ("get-parameters-plural", instance("ssm:GetParameters", mine), IMPLICIT),
        (
            "get-parameters-by-path-of-the-parent",
            instance("ssm:GetParametersByPath", parameter_arn(parent)),
            IMPLICIT,
        ),
        (
            "get-parameter-named-ours-and-more",
            instance(GET_PARAMETER, parameter_arn(PARAMETER + "-old")),
            IMPLICIT,
        ),
        (
            "get-parameter-under-ours",
            instance(GET_PARAMETER, parameter_arn(PARAMETER + "/child")),
            IMPLICIT,
        ),
        (
            "get-another-parameter",
            instance(GET_PARAMETER, parameter_arn(f"{parent}/admin")),
            IMPLICIT,
        ),
        (
            "get-the-parameter-in-another-account",
            instance(
                GET_PARAMETER,
                parameter_arn(PARAMETER, account=OTHER_ACCOUNT),
                account=OTHER_ACCOUNT,
            ),
            IMPLICIT,
        ),
        (
            "get-the-parameter-in-another-region",
            instance(GET_PARAMETER, parameter_arn(PARAMETER, region=OTHER_REGION)),
            IMPLICIT,
        ),
        ("get-the-parameter-history", instance("ssm:GetParameterHistory", mine), IMPLICIT),
        ("describe-parameters", instance("ssm:DescribeParameters", "*"), IMPLICIT),
        ("put-the-parameter", instance("ssm:PutParameter", mine), IMPLICIT),
        (
            "get-a-secret-of-that-name",
            instance(GET_SECRET, secret_arn(f"{PARAMETER.lstrip('/')}-{RANDOM6}")),
            IMPLICIT,
        ),
    ]


def kms_cases(store, with_key):
    other_store = "ssm" if store == "secretsmanager" else "secretsmanager"
    return [
        # Allowed only where a customer managed key was named; an AWS managed key needs nothing.
        (
            "decrypt-via-the-secret-store",
            instance(DECRYPT, KMS_KEY, via(store)),
            ALLOWED if with_key else IMPLICIT,
        ),
        ("decrypt-directly", instance(DECRYPT, KMS_KEY), IMPLICIT),
        ("decrypt-via-s3", instance(DECRYPT, KMS_KEY, via("s3")), IMPLICIT),
        ("decrypt-via-the-other-store", instance(DECRYPT, KMS_KEY, via(other_store)), IMPLICIT),
        (
            "decrypt-via-the-store-in-another-region",
            instance(DECRYPT, KMS_KEY, via(store, OTHER_REGION)),
            IMPLICIT,
        ),
        ("decrypt-another-key-via-the-store", instance(DECRYPT, OTHER_KEY, via(store)), IMPLICIT),
        (
            "generate-data-key-via-the-store",
            instance("kms:GenerateDataKey", KMS_KEY, via(store)),
            IMPLICIT,
        ),
        # The key's own policy must let IAM policies decide (the default key policy does).
        (
            "decrypt-via-the-store-key-policy-without-iam",
            instance(DECRYPT, KMS_KEY, via(store), key_policy=ADMINS_ONLY_KEY_POLICY),
            IMPLICIT,
        ),
    ]


TRUST_CASES = [
    ("ec2-hands-the-role-to-an-instance", assume("ec2.amazonaws.com"), ALLOWED),
    ("lambda-assumes-the-role", assume("lambda.amazonaws.com"), IMPLICIT),
    ("ssm-assumes-the-role", assume("ssm.amazonaws.com"), IMPLICIT),
    ("iam-user-assumes-the-role", assume(USER), IMPLICIT),
    # A role trusts only whom its trust policy names, whatever the caller's own policy says.
    ("iam-user-allowed-any-role-assumes-it", assume(USER, ASSUME_ANY_ROLE), IMPLICIT),
]


def deployment_cases(deployment):
    spec = DEPLOYMENTS[deployment]
    store = spec["secret_store"]
    prefix = spec.get("prefix", PREFIX)
    if deployment == "prefix-with-iam-syntax":
        return [
            ("get-the-bundle", instance(GET, obj(f"{prefix}{SHA}.tar.gz")), ALLOWED),
            # What '?' and the variable would match, read as IAM syntax.
            (
                "get-bundle-under-drop-x",
                instance(GET, obj(f"dropX/${{aws:userid}}/{SHA}.tar.gz")),
                IMPLICIT,
            ),
            (
                "get-bundle-under-the-callers-userid",
                instance(GET, obj(f"drop?/{ROLE_ID}:{INSTANCE_ID}/{SHA}.tar.gz")),
                IMPLICIT,
            ),
            *s3_cases(prefix),
        ]
    if deployment == "prefix-with-star":
        # iam-simulate reads a '*' in a request's resource as a wildcard: it allows such a
        # request when any key it stands for is allowed. So the key holding a literal '*' cannot
        # be asked for exactly (no allowed case here; the unit tests show the escaped Resource),
        # while a denial of such a request holds for the literal key too. What '*' would match,
        # read as IAM syntax, is denied:
        return [
            ("get-bundle-under-nightly", instance(GET, obj(f"nightly/{SHA}.tar.gz")), IMPLICIT),
            (
                "get-bundle-under-nightly-old",
                instance(GET, obj(f"nightly-old/{SHA}.tar.gz")),
                IMPLICIT,
            ),
            (
                "get-bundle-under-nightly-a-b",
                instance(GET, obj(f"nightly/a/b/{SHA}.tar.gz")),
                IMPLICIT,
            ),
            *s3_cases(prefix),
        ]
    store_cases = secretsmanager_cases() if store == "secretsmanager" else ssm_cases()
    return [
        ("get-the-bundle", instance(GET, obj(f"{prefix}{SHA}.tar.gz")), ALLOWED),
        *s3_cases(prefix),
        *store_cases,
        *kms_cases(store, bool(spec["kms_key_arn"])),
        *TRUST_CASES,
    ]


CASES = [
    (f"{deployment}/{cid}", deployment, case, expected)
    for deployment in DEPLOYMENTS
    for cid, case, expected in deployment_cases(deployment)
]


def simulation(case, deployed, permissions=None, trust=None):
    """iam-simulate's input for one request against one stored role (or altered documents)."""
    if case["kind"] == "trust":
        request = {
            "principal": case["principal"],
            "action": case["action"],
            "resource": {"resource": deployed["role_arn"], "accountId": ACCOUNT},
            "contextVariables": {},
        }
        identity = case["identity_policy"]
        return {
            "request": request,
            "resourcePolicy": trust or deployed["trust"],
            "identityPolicies": [{"name": "caller", "policy": identity}] if identity else [],
        }
    role = deployed["role_arn"].rsplit("/", 1)[1]
    context = dict(case["context"])
    context["aws:userid"] = f"{deployed['role_id']}:{INSTANCE_ID}"
    context["aws:PrincipalArn"] = deployed["role_arn"]
    request = {
        "principal": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{INSTANCE_ID}",
        "action": case["action"],
        "resource": {
            "resource": case["resource"].replace(ROLE_ID, deployed["role_id"]),
            "accountId": case["account"],
        },
        "contextVariables": context,
    }
    policy = permissions or deployed["permissions"]
    sim = {"request": request, "identityPolicies": [{"name": POLICY_NAME, "policy": policy}]}
    if case["action"].startswith("kms:"):
        # KMS honours IAM policies only where the key policy lets it (the default one does).
        sim["resourcePolicy"] = case["key_policy"] or DEFAULT_KEY_POLICY
    return sim


def simulate(cases):
    """{id: result} from iam-simulate for [(id, simulation)]."""
    proc = subprocess.run(
        ["node", str(SIMULATE)],
        input=json.dumps({"cases": [{"id": cid, "simulation": sim} for cid, sim in cases]}),
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    return {r["id"]: r for r in json.loads(proc.stdout)["results"]}


@pytest.fixture(scope="module")
def decisions(stored):
    return simulate([(cid, simulation(case, stored[dep])) for cid, dep, case, _ in CASES])


def test_the_table_covers_every_deployment_and_service():
    assert len({cid for cid, *_ in CASES}) == len(CASES)
    assert {dep for _, dep, _, _ in CASES} == set(DEPLOYMENTS)
    actions = {case["action"] for _, _, case, _ in CASES}
    assert {GET, GET_SECRET, GET_PARAMETER, DECRYPT} <= actions
    allowed = {(dep, case["action"]) for _, dep, case, expected in CASES if expected == ALLOWED}
    for deployment, spec in STANDARD.items():
        read = E.READ_ACTION[spec["secret_store"]]
        wanted = {(deployment, GET), (deployment, read), (deployment, "sts:AssumeRole")}
        if spec["kms_key_arn"]:
            wanted.add((deployment, DECRYPT))
        assert {a for a in allowed if a[0] == deployment} == wanted, deployment
    assert len(CASES) >= 150


def test_what_is_stored_is_what_enrol_plan_built(stored):
    """The evaluator judges IAM's copies; they are the documents enrol_plan built."""
    for deployment, deployed in stored.items():
        values = enrolment(deployment)
        assert deployed["permissions"] == planned_policy(values), deployment
        assert deployed["trust"] == E.trust_policy(REGION), deployment
        assert deployed["role_arn"] == f"arn:aws:iam::{ACCOUNT}:role/{values['instance_role']}"
        assert deployed["role_id"].startswith("AROA")


@pytest.mark.parametrize(
    ("case_id", "deployment", "case", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_decision(decisions, case_id, deployment, case, expected):
    result = decisions[case_id]
    assert result["errors"] is None, json.dumps(result["errors"], indent=2)
    # A context key the evaluator ignored would make its decision meaningless.
    assert result["ignored"] == [], f"evaluator ignored context keys {result['ignored']}"
    assert result["result"] == expected, result


# ----------------------------------------------------- the table notices a widened policy


def _with(doc, sid, change):
    """A copy of ``doc`` whose statement ``sid`` is ``change(statement)``."""
    doc = copy.deepcopy(doc)
    doc["Statement"] = [change(st) if st.get("Sid") == sid else st for st in doc["Statement"]]
    return doc


def _drop_condition(st):
    return {k: v for k, v in st.items() if k != "Condition"}


def _any_suffix(st):
    """The secret's name followed by anything (a parameter's name, by anything)."""
    resource = st["Resource"]
    if resource.endswith("-??????"):
        return {**st, "Resource": resource.removesuffix("??????") + "*"}
    return {**st, "Resource": resource + "*"}


def _store_wide(st):
    resource = st["Resource"]
    cut = (
        resource.index(":secret:") + 8
        if ":secret:" in resource
        else resource.index("parameter/") + 10
    )
    return {**st, "Resource": resource[:cut] + "*"}


def _raw_key(deployment):
    """The bundle's Resource as it was before enrol_plan escaped IAM syntax in keys."""
    prefix = DEPLOYMENTS[deployment].get("prefix", PREFIX)
    return lambda st: {**st, "Resource": obj(f"{prefix}{SHA}.tar.gz")}


def _trusting(principal):
    def change(doc):
        doc = copy.deepcopy(doc)
        doc["Statement"][0]["Principal"] = principal
        return doc

    return change


BUNDLE, SECRET_SID, KMS_SID = "ReadTheBundle", "ReadTheJoinSecret", "DecryptTheJoinSecret"
KMS_DEPLOYMENTS = [d for d, spec in STANDARD.items() if spec["kms_key_arn"]]
# (name, deployments, statement Sid or "trust", change)
WIDENINGS = [
    (
        "bundle-any-object-in-the-bucket",
        list(DEPLOYMENTS),
        BUNDLE,
        lambda st: {**st, "Resource": obj("*")},
    ),
    (
        "bundle-any-object-under-the-prefix",
        list(STANDARD),
        BUNDLE,
        lambda st: {**st, "Resource": obj(PREFIX + "*")},
    ),
    (
        "bundle-the-key-and-longer",
        list(DEPLOYMENTS),
        BUNDLE,
        lambda st: {**st, "Resource": st["Resource"] + "*"},
    ),
    (
        "bundle-every-object-read",
        list(DEPLOYMENTS),
        BUNDLE,
        lambda st: {**st, "Action": "s3:GetObject*"},
    ),
    (
        "bundle-and-listing",
        list(DEPLOYMENTS),
        BUNDLE,
        lambda st: {
            **st,
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [st["Resource"], f"arn:aws:s3:::{BUCKET}"],
        },
    ),
    (
        "bundle-any-bucket-same-key",
        list(STANDARD),
        BUNDLE,
        lambda st: {**st, "Resource": "arn:aws:s3:::*/" + PREFIX + SHA + ".tar.gz"},
    ),
    ("bundle-unescaped-iam-syntax", list(ODD_PREFIXES), BUNDLE, None),
    ("secret-any-suffix", list(STANDARD), SECRET_SID, _any_suffix),
    ("secret-whole-store", list(STANDARD), SECRET_SID, _store_wide),
    (
        "secret-every-read-of-the-store",
        list(STANDARD),
        SECRET_SID,
        lambda st: {**st, "Action": st["Action"].split(":")[0] + ":Get*"},
    ),
    (
        "secret-every-action-of-the-store",
        list(STANDARD),
        SECRET_SID,
        lambda st: {**st, "Action": st["Action"].split(":")[0] + ":*"},
    ),
    ("kms-without-via-service", KMS_DEPLOYMENTS, KMS_SID, _drop_condition),
    ("kms-any-key", KMS_DEPLOYMENTS, KMS_SID, lambda st: {**st, "Resource": "*"}),
    (
        "kms-via-any-service",
        KMS_DEPLOYMENTS,
        KMS_SID,
        lambda st: {**st, "Condition": {"StringLike": {"kms:ViaService": "*.amazonaws.com"}}},
    ),
    (
        "kms-any-action-via-the-store",
        KMS_DEPLOYMENTS,
        KMS_SID,
        lambda st: {**st, "Action": "kms:*"},
    ),
    (
        "trust-lambda-too",
        list(STANDARD),
        "trust",
        _trusting({"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}),
    ),
    (
        "trust-the-account",
        list(STANDARD),
        "trust",
        _trusting({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
    ),
    ("trust-anyone", list(STANDARD), "trust", _trusting({"AWS": "*"})),
]
WIDENED = [
    (f"{name}/{dep}", name, dep, sid, change)
    for name, deps, sid, change in WIDENINGS
    for dep in deps
]


def test_a_widened_policy_fails_some_case(stored):
    """Each widening of the stored documents turns at least one case's decision."""
    sims = []
    for wid, _, dep, sid, change in WIDENED:
        deployed = stored[dep]
        if sid == "trust":
            trust, permissions = change(deployed["trust"]), None
        else:
            trust = None
            permissions = _with(deployed["permissions"], sid, change or _raw_key(dep))
            assert permissions != deployed["permissions"], wid
        sims += [
            (f"{wid}|{cid}", simulation(case, deployed, permissions=permissions, trust=trust))
            for cid, case_dep, case, _ in CASES
            if case_dep == dep
        ]
    results = simulate(sims)
    expected = {cid: want for cid, _, _, want in CASES}
    unnoticed = []
    for wid, *_ in WIDENED:
        mine = {k.split("|", 1)[1]: r for k, r in results.items() if k.split("|", 1)[0] == wid}
        assert all(r["errors"] is None for r in mine.values()), wid
        if all(r["result"] == expected[cid] for cid, r in mine.items()):
            unnoticed.append(wid)
    assert unnoticed == []
