"""lab/imds.py, the lab's IMDSv2 stand-in, against a private moto server on loopback.

botocore itself is the client that matters: its credential chain must find the emulator's
instance-profile credentials ("iam-role"), and moto must take them as the role's session.
"""

import base64
import configparser
import contextlib
import importlib.util
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import botocore.session
import pytest

REPO = Path(__file__).resolve().parents[2]
MOTO_SERVER = Path(sys.executable).with_name("moto_server")
IMDS = REPO / "lab" / "imds.py"
REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = "lab-instance-role"
PROFILE = "lab-instance-profile"
# Bytes no text round trip keeps: NUL, invalid UTF-8, CR LF, a BOM, no final newline.
USER_DATA = b"#!/bin/sh\r\necho 'caf\xc3\xa9' \x00\xff\xfe\x80 $HOME\n\xef\xbb\xbfexit 0"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
# Every variable through which botocore could find credentials or config other than IMDS.
AWS_ENV = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CREDENTIAL_FILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
    "AWS_EC2_METADATA_V1_DISABLED",
    "AWS_ENDPOINT_URL",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
]


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(proc: subprocess.Popen, ready, what: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{what} did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)


def _port_open(port: int) -> bool:
    with contextlib.closing(socket.socket()) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def _process(argv: list[str], port: int, what: str, log: Path):
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait(proc, lambda: _port_open(port), what, log)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    if not MOTO_SERVER.exists():
        pytest.skip(f"{MOTO_SERVER} missing: run `make setup`")
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with _process([str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)], port, "moto", log):
        yield f"http://127.0.0.1:{port}"


def _admin(moto: str, service: str):
    return boto3.client(
        service,
        endpoint_url=moto,
        region_name=REGION,
        aws_access_key_id="admin",
        aws_secret_access_key="admin",  # noqa: S106 - moto's dummy key
    )


@pytest.fixture(scope="module")
def world(moto):
    """The role, its instance profile and launch templates that name it by Name and by Arn."""
    iam, ec2 = _admin(moto, "iam"), _admin(moto, "ec2")
    role = iam.create_role(RoleName=ROLE, Path="/lab/", AssumeRolePolicyDocument=json.dumps(TRUST))
    profile = iam.create_instance_profile(InstanceProfileName=PROFILE)["InstanceProfile"]
    iam.add_role_to_instance_profile(InstanceProfileName=PROFILE, RoleName=ROLE)
    user_data = base64.b64encode(USER_DATA).decode()
    ec2.create_launch_template(
        LaunchTemplateName="by-name",
        LaunchTemplateData={"UserData": base64.b64encode(b"old").decode()},
    )
    # The latest version counts, not the first.
    ec2.create_launch_template_version(
        LaunchTemplateName="by-name",
        LaunchTemplateData={"UserData": user_data, "IamInstanceProfile": {"Name": PROFILE}},
    )
    by_arn = ec2.create_launch_template(
        LaunchTemplateName="by-arn",
        LaunchTemplateData={"UserData": user_data, "IamInstanceProfile": {"Arn": profile["Arn"]}},
    )["LaunchTemplate"]
    ec2.create_launch_template(
        LaunchTemplateName="bare", LaunchTemplateData={"InstanceType": "t3.micro"}
    )
    return {
        "role_arn": role["Role"]["Arn"],
        "profile": profile,
        "by_arn_id": by_arn["LaunchTemplateId"],
    }


@pytest.fixture(scope="module")
def imds_server(moto, world, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("imds")
    template_file = workdir / "imds-launch-template"
    port = _free_port()
    log = workdir / "imds.log"
    argv = [
        sys.executable,
        str(IMDS),
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--endpoint", moto,
        "--region", REGION,
        "--launch-template-file", str(template_file),
    ]  # fmt: skip
    with _process(argv, port, "imds.py", log):
        yield {"url": f"http://127.0.0.1:{port}/", "template_file": template_file, "log": log}


@pytest.fixture
def imds(imds_server):
    """The emulator, launched from template "by-name" unless the test writes another."""
    imds_server["template_file"].write_text("by-name\n")
    return imds_server


def request(url: str, method: str = "GET", headers: dict | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback http
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def token(imds: dict, ttl: str = "60") -> str:
    status, body = request(
        imds["url"] + "latest/api/token",
        "PUT",
        {"X-aws-ec2-metadata-token-ttl-seconds": ttl},
    )
    assert status == 200, body
    return body.decode()


def get(imds: dict, path: str) -> tuple[int, bytes]:
    return request(imds["url"] + path, headers={"X-aws-ec2-metadata-token": token(imds)})


@pytest.fixture
def instance_env(imds, tmp_path, monkeypatch):
    """An environment like an instance's: nothing but the metadata service to find keys in."""
    for name in AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "BOTO_CONFIG"):
        empty = tmp_path / name.lower()
        empty.write_text("")
        monkeypatch.setenv(name, str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds["url"])
    return imds


def test_botocore_credential_chain_gets_the_roles_credentials_from_the_emulator(instance_env, moto):
    session = boto3.Session(region_name=REGION)
    credentials = session.get_credentials()
    assert credentials is not None
    assert credentials.method == "iam-role"
    frozen = credentials.get_frozen_credentials()
    # What the emulator serves is what the chain took.
    status, body = get(instance_env, f"latest/meta-data/iam/security-credentials/{ROLE}")
    assert status == 200
    served = json.loads(body)
    assert frozen.access_key == served["AccessKeyId"]
    assert frozen.secret_key == served["SecretAccessKey"]
    assert frozen.token == served["Token"]
    # moto knows the key as the one its AssumeRole issued: the caller is the role's session,
    # named after the instance (moto answers an unknown key with its default identity).
    instance = get(instance_env, "latest/meta-data/instance-id")[1].decode()
    identity = session.client("sts", endpoint_url=moto).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/{instance}"
    assert frozen.access_key.startswith("ASIA")


def test_the_instance_calls_s3_secrets_manager_and_ssm_with_them(instance_env, moto):
    session = boto3.Session(region_name=REGION)
    assert session.get_credentials().method == "iam-role"
    s3 = session.client("s3", endpoint_url=moto)
    s3.create_bucket(Bucket="lab-imds-bucket")
    s3.put_object(Bucket="lab-imds-bucket", Key="k", Body=USER_DATA)
    assert s3.get_object(Bucket="lab-imds-bucket", Key="k")["Body"].read() == USER_DATA
    sm = session.client("secretsmanager", endpoint_url=moto)
    sm.create_secret(Name="lab/imds", SecretString="s3cr3t")
    assert sm.get_secret_value(SecretId="lab/imds")["SecretString"] == "s3cr3t"
    ssm = session.client("ssm", endpoint_url=moto)
    ssm.put_parameter(Name="/lab/imds", Value="v", Type="String")
    assert ssm.get_parameter(Name="/lab/imds")["Parameter"]["Value"] == "v"


def test_botocore_reads_the_endpoint_from_the_config_lab_py_writes(
    instance_env, tmp_path, monkeypatch
):
    lab_tool = _lab_tool()
    written = {}

    def fake_podman(*args, stdin=None, **_kw):
        written["args"], written["stdin"] = args, stdin
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(lab_tool, "podman", fake_podman)
    lab_tool.Lab("imdsdev").configure_instance_aws(
        "c1", instance_env["url"], "http://10.89.1.1:5510"
    )
    assert written["args"][:3] == ("exec", "-i", "c1")
    assert "chmod 0600" in written["args"][-1]
    config = tmp_path / "instance-config"
    config.write_text(written["stdin"])
    parsed = configparser.ConfigParser()
    parsed.read_string(written["stdin"])
    assert dict(parsed["default"]) == {
        "ec2_metadata_service_endpoint": instance_env["url"],
        "endpoint_url": "http://10.89.1.1:5510",
    }
    monkeypatch.delenv("AWS_EC2_METADATA_SERVICE_ENDPOINT")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    session = botocore.session.get_session()
    assert session.get_config_variable("ec2_metadata_service_endpoint") == instance_env["url"]
    credentials = session.get_credentials()
    assert credentials is not None
    assert credentials.method == "iam-role"


@pytest.mark.parametrize("template", ["by-name", "by-arn", "by-arn-id"])
def test_user_data_round_trips_byte_for_byte(imds, world, template):
    name = world["by_arn_id"] if template == "by-arn-id" else template
    imds["template_file"].write_text(name)
    assert get(imds, "latest/user-data") == (200, USER_DATA)


def test_iam_info_and_role_name_follow_the_templates_instance_profile(imds, world):
    for template in ("by-name", "by-arn"):
        imds["template_file"].write_text(template)
        status, body = get(imds, "latest/meta-data/iam/info")
        assert status == 200
        info = json.loads(body)
        assert info["Code"] == "Success"
        assert info["InstanceProfileArn"] == world["profile"]["Arn"]
        assert info["InstanceProfileId"] == world["profile"]["InstanceProfileId"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", info["LastUpdated"])
        assert get(imds, "latest/meta-data/iam/security-credentials/") == (200, ROLE.encode())


def test_credentials_document_has_ec2s_shape_and_is_cached(imds):
    path = f"latest/meta-data/iam/security-credentials/{ROLE}"
    status, body = get(imds, path)
    assert status == 200
    creds = json.loads(body)
    assert set(creds) == {
        "Code",
        "LastUpdated",
        "Type",
        "AccessKeyId",
        "SecretAccessKey",
        "Token",
        "Expiration",
    }
    assert (creds["Code"], creds["Type"]) == ("Success", "AWS-HMAC")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", creds["Expiration"])
    assert json.loads(get(imds, path)[1]) == creds
    assert get(imds, f"latest/meta-data/iam/security-credentials/{ROLE}-other")[0] == 404


def test_instance_id_region_and_az(imds):
    status, body = get(imds, "latest/meta-data/instance-id")
    assert status == 200
    assert re.fullmatch(r"i-[0-9a-f]{17}", body.decode())
    assert get(imds, "latest/meta-data/instance-id")[1] == body
    assert get(imds, "latest/meta-data/placement/region") == (200, REGION.encode())
    assert get(imds, "latest/meta-data/placement/availability-zone") == (200, b"us-east-1a")


def test_without_a_template_profile_or_user_data_there_is_nothing(imds):
    for template in ("", "no-such-template", "bare"):
        imds["template_file"].write_text(template)
        for path in (
            "latest/user-data",
            "latest/meta-data/iam/info",
            "latest/meta-data/iam/security-credentials/",
            f"latest/meta-data/iam/security-credentials/{ROLE}",
        ):
            assert get(imds, path)[0] == 404, (template, path)
    imds["template_file"].unlink()
    assert get(imds, "latest/user-data")[0] == 404
    # The instance id and region do not depend on the template.
    assert get(imds, "latest/meta-data/placement/region")[0] == 200


def test_get_without_a_valid_token_is_401(imds):
    url = imds["url"] + "latest/user-data"
    assert request(url)[0] == 401
    assert request(url, headers={"X-aws-ec2-metadata-token": "forged"})[0] == 401
    assert request(imds["url"] + "latest/nothing-here")[0] == 401
    assert get(imds, "latest/user-data")[0] == 200


def test_tokens_expire(imds):
    short = token(imds, "1")
    headers = {"X-aws-ec2-metadata-token": short}
    assert request(imds["url"] + "latest/meta-data/instance-id", headers=headers)[0] == 200
    time.sleep(1.2)
    assert request(imds["url"] + "latest/meta-data/instance-id", headers=headers)[0] == 401


@pytest.mark.parametrize("ttl", [None, "", "0", "21601", "-5", "ten", "1.5"])
def test_token_put_without_a_valid_ttl_is_400(imds, ttl):
    headers = {} if ttl is None else {"X-aws-ec2-metadata-token-ttl-seconds": ttl}
    assert request(imds["url"] + "latest/api/token", "PUT", headers)[0] == 400


def test_token_put_echoes_the_ttl_and_refuses_forwarded_requests(imds):
    req = urllib.request.Request(  # noqa: S310 - loopback http
        imds["url"] + "latest/api/token",
        method="PUT",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
        assert resp.headers["X-aws-ec2-metadata-token-ttl-seconds"] == "21600"
        assert len(resp.read()) >= 40
    forwarded = {"X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "10.0.0.9"}
    assert request(imds["url"] + "latest/api/token", "PUT", forwarded)[0] == 403


def test_other_paths_are_404(imds):
    for path in ("latest/meta-data/nope", "latest/dynamic/instance-identity/document", "x"):
        assert get(imds, path)[0] == 404
    assert request(imds["url"] + "latest/user-data", "PUT")[0] == 404


def test_the_log_never_holds_credentials_or_tokens(imds):
    secret = json.loads(get(imds, f"latest/meta-data/iam/security-credentials/{ROLE}")[1])
    issued = token(imds)
    request(imds["url"] + "latest/user-data", headers={"X-aws-ec2-metadata-token": issued})
    time.sleep(0.2)
    log = imds["log"].read_text()
    assert f"GET /latest/meta-data/iam/security-credentials/{ROLE} 200" in log
    for value in (
        secret["AccessKeyId"],
        secret["SecretAccessKey"],
        secret["Token"],
        issued,
    ):
        assert value not in log


# lab.py's side (no lab is started here) ------------------------------------------------


def _lab_tool():
    spec = importlib.util.spec_from_file_location("lab_tool_imds", REPO / "lab" / "lab.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["up", "--imds"], "--imds needs --moto-on-network"),
        (["up", "--moto-on-network", "--no-moto"], "--moto-on-network needs"),
        (["up", "--moto-on-network", "--aws-only"], "--moto-on-network needs"),
    ],
)
def test_lab_refuses_option_combinations_that_cannot_work(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        _lab_tool().main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_lab_reads_old_and_new_pidfiles(tmp_path):
    lab_tool = _lab_tool()
    old, new = tmp_path / "moto.pid", tmp_path / "imds.pid"
    old.write_text("123 5510\n")
    new.write_text("124 5511 10.89.1.1 http://10.89.1.1:5510\n")
    assert lab_tool.Lab.recorded(old) == ["123", "5510", "127.0.0.1"]
    assert lab_tool.Lab.recorded(new) == ["124", "5511", "10.89.1.1", "http://10.89.1.1:5510"]
    assert lab_tool.Lab.recorded(tmp_path / "none.pid") is None


def test_lab_json_names_the_endpoints(tmp_path, monkeypatch):
    lab_tool = _lab_tool()
    monkeypatch.setattr(lab_tool, "STATE_ROOT", tmp_path)
    lab = lab_tool.Lab("imdsdev")
    lab.state.mkdir()
    monkeypatch.setattr(lab_tool.Lab, "saml_metadata", lambda self: self.state / "m.xml")
    facts = lab.write_facts([], "http://10.89.1.1:5510", "http://10.89.1.1:5511/")
    assert facts["aws_endpoint_url"] == "http://10.89.1.1:5510"
    assert facts["imds_endpoint"] == "http://10.89.1.1:5511/"
    assert facts["imds_launch_template_file"] == str(tmp_path / "imdsdev/imds-launch-template")
    assert json.loads((lab.state / "lab.json").read_text()) == facts
    plain = lab.write_facts([], "http://127.0.0.1:5510")
    assert (plain["imds_endpoint"], plain["imds_launch_template_file"]) == (None, None)
