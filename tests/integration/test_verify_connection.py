"""One AWS connection for site.yml and verify.yml, driven through ansible-playbook against a real
moto server on 127.0.0.1 with moto's IAM enforcement switched on for the run.

The inventory's aws_federation_connection holds base keys of an IAM user that may do nothing
but sts:AssumeRole on a deployment role, plus that role's ARN. With enforcement on, moto refuses
every IAM/SSM call the base keys sign (checked in the test), so a site.yml that changed IAM and a
verify.yml that read it back must have used the deployment role's credentials; moto's request
recorder shows which access key signed each call.

What is proven: both playbooks assume the role named in the one connection value and make every
IAM/SSM call with the session it returned; verify.yml makes no AWS write; the report's trust and
preferences hops are judged from what IAM and SSM hold after site.yml (a user outside the UPN
suffix is refused by the stored trust policy, one inside is allowed).
What is not: moto's policy evaluation is simpler than AWS's (no conditions on the deployment
role here), and the trust decision is the report's own evaluator, not AWS's (see
test_report_evaluator_agreement.py). There is no domain controller: where the AD side must be
readable, it is given as data, the registered LDAP result overridden by an extra variable
(Ansible's precedence), while the LDAP task itself is pointed at a closed loopback port; where
it must not, the report says the directory could not be read."""

# ruff: noqa: S106 - the keys and passwords are moto's test values or fakes.

import base64
import contextlib
import json
import re
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
import yaml
from as_user import ansible_env
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PYTHON = sys.executable
METADATA = REPO / "tests/integration/iam_eval/adfs-metadata.xml"
ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
RUN_SHELL = "SSM-SessionManagerRunShell"
SUFFIX = uuid.uuid4().hex[:8]  # the moto server is shared by the whole test session
PROVIDER = f"VerifyADFS-{SUFFIX}"
ROLE = f"Ops-RunAs-{SUFFIX}"
POLICY = f"VerifySSMRunAs-{SUFFIX}"
DEPLOY_USER = f"ci-deployer-{SUFFIX}"
DEPLOY_ROLE = f"corp-deploy-{SUFFIX}"
DEPLOY_ARN = f"arn:aws:iam::{ACCOUNT}:role/{DEPLOY_ROLE}"
SESSION_NAME = "ansible-aws-federation"  # connect.yml's default session name
ACCOUNT_HOST = "corp-account"

MODEL = {
    "realm": "CORP.EXAMPLE.ORG",
    "upn_suffix": "corp.example.org",
    "tag_key": "CorpRunAs",
    "groups": [
        {"name": "Ops Team", "sudo": {"runas": "ALL", "commands": ["ALL"]}},
        {"name": "Db-Admins", "sudo": {"runas": "root", "commands": ["/usr/bin/psql"]}},
    ],
    "aws": {
        "account_id": ACCOUNT,
        "region": REGION,
        "saml_provider": PROVIDER,
        "federation_roles": [{"name": ROLE}],
        "policy_name": POLICY,
        "session_preferences": {"run_as_enabled": True},
    },
    "adfs": {"mode": "export"},
}
BASE_DN = "DC=corp,DC=example,DC=org"
# What runas_directory_info returns for two members of the run-as groups: olga's UPN has the
# model's suffix, pat's does not.
DIRECTORY = {
    "changed": False,
    "base_dn": BASE_DN,
    "groups": [
        {"name": g["name"], "found": True, "dn": f"CN={g['name']},CN=Users,{BASE_DN}"}
        for g in MODEL["groups"]
    ],
    "users": [
        {
            "query": None,
            "requested": False,
            "found": True,
            "dn": f"CN={name},CN=Users,{BASE_DN}",
            "sAMAccountName": name,
            "userPrincipalName": upn,
            "enabled": True,
            "groups": [group],
        }
        for name, upn, group in (
            ("olga", "olga@corp.example.org", "Ops Team"),
            ("pat", "pat@partner.example", "Db-Admins"),
        )
    ],
}
WRITE = re.compile(r"^(Create|Put|Update|Delete|Attach|Detach|Tag|Untag|Add|Remove|Set|Upload)")


def closed_port():
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def playbook(root, inventory, name, *args):
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory), f"federated.ssm_runas.{name}", *args],
        cwd=root,
        env=ansible_env(root),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def write_inventory(root, connection):
    """The hosts verify.yml and site.yml expect; no instances (nothing here can be probed)."""
    inventory = root / "inventory"
    (inventory / "group_vars/all").mkdir(parents=True)
    local = {"ansible_connection": "local", "ansible_python_interpreter": PYTHON}
    (inventory / "hosts.yml").write_text(
        yaml.safe_dump(
            {
                "all": {
                    "children": {
                        "aws_accounts": {"hosts": {ACCOUNT_HOST: local}},
                        "adfs_servers": {"hosts": {"corp-adfs": local}},
                        "ssm_instances": {"hosts": {}},
                    }
                }
            }
        )
    )
    (inventory / "group_vars/all/ssm_runas.yml").write_text(yaml.safe_dump({"ssm_runas": MODEL}))
    ldap_port = closed_port()
    (inventory / "group_vars/all/report.yml").write_text(
        yaml.safe_dump(
            {
                "runas_report_dir": str(root / "report"),
                # Never the realm's DNS name: the only LDAP traffic goes to a closed local port.
                "runas_report_ldap": {
                    "server": "127.0.0.1",
                    "port": ldap_port,
                    "use_ssl": False,
                    "start_tls": False,
                },
                "ad_join_user": "svc-report",
                "ad_join_password": "not-a-real-password",
            }
        )
    )
    (inventory / "group_vars/adfs_servers.yml").write_text(
        yaml.safe_dump({"adfs_claims_export_dir": str(root / "adfs-export")})
    )
    (inventory / "group_vars/aws_accounts.yml").write_text(
        yaml.safe_dump(
            {
                "aws_federation_connection": connection,
                "aws_federation_saml_metadata_file": str(METADATA),
                # GetCallerIdentity through the same connection: the assumed role's account.
                "aws_federation_check_account": True,
            }
        )
    )
    directory = root / "directory.json"
    directory.write_text(json.dumps({"runas_report_directory": DIRECTORY}))
    return inventory, directory, ldap_port


def report_of(root):
    return json.loads((root / "report/report.json").read_text())


def hop(user, name):
    return next(h for h in user["hops"] if h["hop"] == name)


def moto_api(endpoint, path, data=None):
    method = "GET" if data is None else "POST"
    # The endpoint is the loopback moto_server of the conftest fixture.
    req = urllib.request.Request(  # noqa: S310
        f"{endpoint}/moto-api/{path}",
        data=data,
        method=method,
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
        return resp.read().decode()


@contextlib.contextmanager
def iam_enforced(endpoint):
    """moto checks every call's signature and IAM permissions until the block ends."""
    moto_api(endpoint, "reset-auth", b"0")
    try:
        yield
    finally:
        moto_api(endpoint, "reset-auth", b"inf")


def recorded(endpoint):
    """Each recorded AWS call: service, action, signing access key, session token, parameters."""
    calls = []
    for line in moto_api(endpoint, "recorder/download-recording").splitlines():
        entry = json.loads(line)
        headers = {k.lower(): v for k, v in entry["headers"].items()}
        credential = re.search(
            r"Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/", headers.get("authorization", "")
        )
        if not credential:
            continue
        body = entry.get("body") or ""
        if entry.get("body_encoded"):
            body = base64.b64decode(body).decode()
        target = headers.get("x-amz-target")
        if target:  # JSON protocol (SSM): AmazonSSM.GetDocument
            action, params = target.split(".", 1)[1], json.loads(body or "{}")
        else:  # query protocol (IAM, STS)
            params = {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}
            action = params.get("Action", "?")
        calls.append(
            {
                "service": credential.group(2),
                "action": action,
                "key": credential.group(1),
                "token": bool(headers.get("x-amz-security-token")),
                "params": params,
            }
        )
    return calls


def admin(endpoint):
    """Clients for setup and checks, used only while moto does not enforce IAM."""
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return session.client("iam", endpoint_url=endpoint), session.client(
        "ssm", endpoint_url=endpoint
    )


def remove_federation(endpoint):
    iam, ssm = admin(endpoint)
    arn = f"arn:aws:iam::{ACCOUNT}:policy/{POLICY}"
    for call in (
        lambda: iam.detach_role_policy(RoleName=ROLE, PolicyArn=arn),
        lambda: iam.delete_role(RoleName=ROLE),
        lambda: iam.delete_policy(PolicyArn=arn),
        lambda: iam.delete_saml_provider(
            SAMLProviderArn=f"arn:aws:iam::{ACCOUNT}:saml-provider/{PROVIDER}"
        ),
        lambda: ssm.delete_document(Name=RUN_SHELL),
    ):
        with contextlib.suppress(Exception):  # best effort, whatever state a test stopped in
            call()


@pytest.fixture(scope="module")
def deployer(moto_endpoint):
    """Base keys that may only assume the deployment role, which may do anything in IAM/SSM."""
    iam, _ = admin(moto_endpoint)
    iam.create_user(UserName=DEPLOY_USER)
    key = iam.create_access_key(UserName=DEPLOY_USER)["AccessKey"]
    iam.put_user_policy(
        UserName=DEPLOY_USER,
        PolicyName="assume-deploy-role-only",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": DEPLOY_ARN}
                ],
            }
        ),
    )
    iam.create_role(
        RoleName=DEPLOY_ROLE,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{DEPLOY_USER}"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    iam.put_role_policy(
        RoleName=DEPLOY_ROLE,
        PolicyName="deploy",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["iam:*", "ssm:*"], "Resource": "*"}],
            }
        ),
    )
    try:
        yield {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}
    finally:
        moto_api(moto_endpoint, "reset-auth", b"inf")
        for call in (
            lambda: iam.delete_role_policy(RoleName=DEPLOY_ROLE, PolicyName="deploy"),
            lambda: iam.delete_role(RoleName=DEPLOY_ROLE),
            lambda: iam.delete_user_policy(
                UserName=DEPLOY_USER, PolicyName="assume-deploy-role-only"
            ),
            lambda: iam.delete_access_key(UserName=DEPLOY_USER, AccessKeyId=key["AccessKeyId"]),
            lambda: iam.delete_user(UserName=DEPLOY_USER),
        ):
            with contextlib.suppress(Exception):
                call()


def connection(endpoint, deployer, assume=True):
    value = {"endpoint_url": endpoint, **deployer}
    if assume:
        value["assume_role_arn"] = DEPLOY_ARN
    return value


def assert_assumed_session(calls, base_key):
    """Every IAM/SSM call was signed by a session key; every AssumeRole by the base key."""
    assumes = [c for c in calls if c["action"] == "AssumeRole"]
    assert assumes, "no sts:AssumeRole call was made"
    for call in assumes:
        assert call["key"] == base_key and not call["token"], call
        assert call["params"]["RoleArn"] == DEPLOY_ARN, call
        assert call["params"]["RoleSessionName"] == SESSION_NAME, call
    work = [c for c in calls if c["service"] in ("iam", "ssm")]
    assert work, "no IAM or SSM call was recorded"
    for call in work:
        # moto hands out ASIA... keys with a session token for assumed roles only.
        assert call["key"] != base_key and call["key"].startswith("ASIA") and call["token"], call
    return work


def test_site_and_verify_use_one_connection_through_the_assumed_role(
    tmp_path, moto_endpoint, deployer
):
    inventory, directory, _ = write_inventory(tmp_path, connection(moto_endpoint, deployer))
    base_key = deployer["access_key"]
    remove_federation(moto_endpoint)  # the run-shell document too: site.yml must write it
    base = boto3.Session(
        aws_access_key_id=base_key, aws_secret_access_key=deployer["secret_key"], region_name=REGION
    ).client("iam", endpoint_url=moto_endpoint)
    try:
        moto_api(moto_endpoint, "recorder/reset-recording", b"")
        moto_api(moto_endpoint, "recorder/start-recording", b"")
        with iam_enforced(moto_endpoint):
            # Control: enforcement is on, and the base keys alone cannot read or change IAM.
            with pytest.raises(ClientError, match="AccessDenied"):
                base.list_roles()
            with pytest.raises(ClientError, match="AccessDenied"):
                base.create_policy(PolicyName=f"probe-{SUFFIX}", PolicyDocument="{}")
            moto_api(moto_endpoint, "recorder/reset-recording", b"")

            rc, site_out = playbook(tmp_path, inventory, "site", "--tags", "aws")
            assert rc == 0, site_out[-5000:]
            site_calls = recorded(moto_endpoint)
            moto_api(moto_endpoint, "recorder/reset-recording", b"")

            rc, verify_out = playbook(
                tmp_path,
                inventory,
                "verify",
                "-e",
                "runas_report_fail=false",
                "-e",
                f"@{directory}",
            )
            assert rc == 0, verify_out[-5000:]
            verify_calls = recorded(moto_endpoint)
    finally:
        moto_api(moto_endpoint, "recorder/stop-recording", b"")

    try:
        # site.yml: the assumed session made every change.
        site_work = assert_assumed_session(site_calls, base_key)
        actions = {c["action"] for c in site_work}
        assert {"CreateSAMLProvider", "CreatePolicy", "CreateRole", "CreateDocument"} <= actions
        assert "GetCallerIdentity" in {c["action"] for c in site_calls}
        # verify.yml: the same connection value, the same role, read-only, our role read.
        verify_work = assert_assumed_session(verify_calls, base_key)
        assert [c for c in verify_work if WRITE.match(c["action"])] == []
        assert any(
            c["action"] == "GetRole" and c["params"].get("RoleName") == ROLE for c in verify_work
        ), verify_work

        iam, _ = admin(moto_endpoint)
        attached = iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
        assert [p["PolicyName"] for p in attached] == [POLICY]
        trust = json.dumps(iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"])
        assert f"saml-provider/{PROVIDER}" in trust and "aws:RequestTag/CorpRunAs" in trust

        report = report_of(tmp_path)
        assert report["accounts"] == [ACCOUNT_HOST]
        assert report["unread"] == []
        users = {u["user"]: u for u in report["users"]}
        assert set(users) == {"olga", "pat"}
        olga, pat = users["olga"], users["pat"]
        assert hop(olga, "trust")["status"] == "pass", olga
        assert ROLE in hop(olga, "trust")["detail"]
        # The stored trust policy, as site.yml wrote it, refuses a tag outside the suffix.
        assert hop(pat, "trust")["status"] == "fail", pat
        assert "@corp.example.org" in hop(pat, "trust")["detail"]
        for user in (olga, pat):
            assert hop(user, "preferences")["status"] == "pass", user
    finally:
        remove_federation(moto_endpoint)


def test_unreachable_endpoint_leaves_the_aws_hops_unknown(tmp_path, deployer):
    endpoint = f"http://127.0.0.1:{closed_port()}"
    inventory, directory, _ = write_inventory(
        tmp_path, connection(endpoint, deployer, assume=False)
    )
    rc, out = playbook(
        tmp_path, inventory, "verify", "-e", "runas_report_fail=false", "-e", f"@{directory}"
    )
    assert rc == 0, out[-5000:]
    report = report_of(tmp_path)
    error = f'Could not connect to the endpoint URL: "{endpoint}/"'
    assert [(u["host"], u["side"]) for u in report["unread"]] == [(ACCOUNT_HOST, "AWS")]
    assert error in report["unread"][0]["error"]
    users = {u["user"]: u for u in report["users"]}
    for user in users.values():
        for name in ("trust", "preferences"):
            assert hop(user, name)["status"] == "unknown", user
            assert error in hop(user, name)["detail"], user
    # Unknown is not red; a hop that was judged (pat's claim) still is.
    assert users["olga"]["status"] == "unknown"
    assert users["olga"]["first_failure"]["hop"] == "trust"
    assert users["pat"]["status"] == "red"
    assert users["pat"]["first_failure"]["hop"] == "claim"


def test_unreachable_endpoint_with_assume_role_leaves_the_aws_hops_unknown(tmp_path, deployer):
    endpoint = f"http://127.0.0.1:{closed_port()}"
    inventory, directory, _ = write_inventory(tmp_path, connection(endpoint, deployer))
    rc, out = playbook(
        tmp_path, inventory, "verify", "-e", "runas_report_fail=false", "-e", f"@{directory}"
    )
    assert rc == 0, out[-5000:]
    report = report_of(tmp_path)
    error = f'Could not connect to the endpoint URL: "{endpoint}/"'
    assert [(u["host"], u["side"]) for u in report["unread"]] == [(ACCOUNT_HOST, "AWS")]
    assert error in report["unread"][0]["error"]
    for user in report["users"]:
        for name in ("trust", "preferences"):
            assert hop(user, name)["status"] == "unknown", user
            assert error in hop(user, name)["detail"], user


def test_verify_without_a_directory_still_reads_aws_and_writes_the_report(
    tmp_path, moto_endpoint, deployer
):
    inventory, _, ldap_port = write_inventory(tmp_path, connection(moto_endpoint, deployer))
    rc, out = playbook(tmp_path, inventory, "verify", "-e", "runas_report_fail=false")
    assert rc == 0, out[-5000:]
    report = report_of(tmp_path)
    assert report["users"] == []
    assert any(
        "directory could not be read" in p and f"127.0.0.1:{ldap_port}" in p
        for p in report["problems"]
    ), report["problems"]
    # The AWS side was read (through the assumed role) although AD was not.
    assert report["accounts"] == [ACCOUNT_HOST] and report["unread"] == []
