#!/usr/bin/env python3
"""An IMDSv2 stand-in for the lab: lab instances see their "launch template" through it.

An EC2 instance reads its user data and its instance profile's credentials from the instance
metadata service; a lab instance reads them here, and the answers come from the lab's moto
server: the launch template's latest version gives the user data and the instance profile,
moto's STS gives the role's credentials. It runs on the controller with the venv's python (the
server is the standard library's; boto3 does the lookups, with dummy keys, against --endpoint).

    imds.py --bind 10.89.199.1 --port 5511 --endpoint http://10.89.199.1:5510
            [--region us-east-1] [--launch-template NAME | --launch-template-file PATH]

Which launch template: ``--launch-template NAME`` fixes it for the server's life;
``--launch-template-file PATH`` (what ``lab.py up --imds`` passes: ``<state>/imds-launch-template``,
named in lab.json as ``imds_launch_template_file``) is read at every request, so a test creates
its template in moto first and then writes the template's name (or its ``lt-`` id) into the
file; an absent or empty file means "launched without a template". Without either option no
template is known. What a missing template, version or profile gives is what EC2 gives an
instance without them: 404.

Routes (EC2 User Guide: "Use IMDSv2", "Instance metadata categories", "Retrieve security
credentials from instance metadata"); IMDSv2 only, as with ``HttpTokens: required``:

    PUT /latest/api/token                          X-aws-ec2-metadata-token-ttl-seconds: 1-21600
    GET /latest/user-data                          UserData of the template's $Latest, decoded
    GET /latest/meta-data/instance-id              i-<17 hex>, stable per client IP
    GET /latest/meta-data/placement/region         --region
    GET /latest/meta-data/placement/availability-zone   <region>a (botocore's IMDS region)
    GET /latest/meta-data/iam/info                 the template's instance profile
    GET /latest/meta-data/iam/security-credentials/         its role's name
    GET /latest/meta-data/iam/security-credentials/<role>   sts:AssumeRole of that role

A PUT without a valid TTL gets 400 (403 with X-Forwarded-For, as EC2 refuses a forwarded token
request); a GET without a valid, unexpired X-aws-ec2-metadata-token gets 401; any other path
404. Credentials come from ``sts.assume_role`` (RoleSessionName = the instance id), cached per
role and instance until CREDENTIALS_MARGIN before they expire. The log names the client,
method, path and status only: never a token, a key or a body.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as dt
import hashlib
import json
import secrets
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TOKEN_PATH = "/latest/api/token"  # noqa: S105 - a path, not a secret
TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"  # noqa: S105 - a header name
MAX_TTL = 21600
CREDS_PREFIX = "/latest/meta-data/iam/security-credentials/"
CREDENTIALS_SECONDS = 3600
# Served credentials keep at least this long: more than botocore's 15-minute advisory refresh,
# so a client does not come back for new ones at every call.
CREDENTIALS_MARGIN = 20 * 60


class NotFound(Exception):
    """The instance has no such thing (no template, no user data, no profile): 404."""


def isoformat(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def instance_id(client_ip: str) -> str:
    return "i-" + hashlib.sha256(client_ip.encode()).hexdigest()[:17]


class Metadata:
    """What an instance launched from the launch template would see, looked up in moto."""

    def __init__(
        self,
        endpoint: str,
        region: str,
        template: str | None = None,
        template_file: Path | None = None,
    ):
        import boto3  # noqa: PLC0415 - the server itself is stdlib; only lookups need boto3

        session = boto3.Session(
            aws_access_key_id="lab-imds",
            aws_secret_access_key="lab-imds",  # noqa: S106 - moto's dummy key
            region_name=region,
        )
        self.region = region
        self.ec2 = session.client("ec2", endpoint_url=endpoint)
        self.iam = session.client("iam", endpoint_url=endpoint)
        self.sts = session.client("sts", endpoint_url=endpoint)
        self._template = template
        self._template_file = template_file
        self._lock = threading.Lock()
        self._credentials: dict[tuple[str, str], tuple[dict, dt.datetime]] = {}

    def template_name(self) -> str | None:
        if self._template_file is not None:
            try:
                return self._template_file.read_text().strip() or None
            except FileNotFoundError:
                return None
        return self._template

    def template_data(self) -> dict:
        from botocore.exceptions import ClientError  # noqa: PLC0415

        name = self.template_name()
        if not name:
            raise NotFound("no launch template")
        key = "LaunchTemplateId" if name.startswith("lt-") else "LaunchTemplateName"
        try:
            versions = self.ec2.describe_launch_template_versions(
                **{key: name}, Versions=["$Latest"]
            )["LaunchTemplateVersions"]
        except ClientError as exc:
            if "NotFound" in exc.response.get("Error", {}).get("Code", ""):
                raise NotFound(f"launch template {name} not found") from exc
            raise
        if not versions:
            raise NotFound(f"launch template {name} has no version")
        return versions[0].get("LaunchTemplateData") or {}

    def user_data(self) -> bytes:
        encoded = self.template_data().get("UserData")
        if not encoded:
            raise NotFound("no user data")
        try:
            return base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise NotFound("user data is not base64") from exc

    def profile(self) -> tuple[dict, dict]:
        """(instance profile, its role) of the template's IamInstanceProfile (Name or Arn)."""
        ref = self.template_data().get("IamInstanceProfile") or {}
        name = ref.get("Name") or (ref.get("Arn") or "").rpartition("/")[2]
        if not name:
            raise NotFound("no instance profile")
        client_error = self.iam.exceptions.NoSuchEntityException
        try:
            profile = self.iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
        except client_error as exc:
            raise NotFound(f"instance profile {name} not found") from exc
        if ref.get("Arn") and profile["Arn"] != ref["Arn"]:
            raise NotFound(f"instance profile {ref['Arn']} not found")
        if not profile.get("Roles"):
            raise NotFound(f"instance profile {name} has no role")
        return profile, profile["Roles"][0]

    def info(self) -> dict:
        profile, _role = self.profile()
        return {
            "Code": "Success",
            "LastUpdated": isoformat(dt.datetime.now(dt.UTC)),
            "InstanceProfileArn": profile["Arn"],
            "InstanceProfileId": profile["InstanceProfileId"],
        }

    def role_name(self) -> str:
        return self.profile()[1]["RoleName"]

    def credentials(self, role_name: str, instance: str) -> dict:
        _profile, role = self.profile()
        if role["RoleName"] != role_name:
            raise NotFound(f"no role {role_name} on this instance")
        key = (role["Arn"], instance)
        with self._lock:
            cached = self._credentials.get(key)
            now = dt.datetime.now(dt.UTC)
            if cached and cached[0]["Expiration"] - now > dt.timedelta(seconds=CREDENTIALS_MARGIN):
                creds, updated = cached
            else:
                creds = self.sts.assume_role(
                    RoleArn=role["Arn"],
                    RoleSessionName=instance,
                    DurationSeconds=CREDENTIALS_SECONDS,
                )["Credentials"]
                updated = now
                self._credentials[key] = (creds, updated)
        return {
            "Code": "Success",
            "LastUpdated": isoformat(updated),
            "Type": "AWS-HMAC",
            "AccessKeyId": creds["AccessKeyId"],
            "SecretAccessKey": creds["SecretAccessKey"],
            "Token": creds["SessionToken"],
            "Expiration": isoformat(creds["Expiration"]),
        }


class Tokens:
    """IMDSv2 session tokens: random strings, each valid for the TTL it was asked with."""

    def __init__(self):
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}

    def issue(self, ttl: int) -> str:
        token = secrets.token_urlsafe(42)
        now = time.monotonic()
        with self._lock:
            self._expiry = {t: e for t, e in self._expiry.items() if e > now}
            self._expiry[token] = now + ttl
        return token

    def valid(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            expiry = self._expiry.get(token)
        return expiry is not None and expiry > time.monotonic()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "EC2ws"
    sys_version = ""
    metadata: Metadata
    tokens: Tokens

    def _reply(self, status: HTTPStatus, body: bytes = b"", headers: dict | None = None) -> None:
        if not body and status != HTTPStatus.OK:
            body = f"{status.value} - {status.phrase}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _drain(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 0:
            self.rfile.read(min(length, 65536))

    def do_PUT(self) -> None:
        self._drain()
        if self.path != TOKEN_PATH:
            self._reply(HTTPStatus.NOT_FOUND)
            return
        if self.headers.get("X-Forwarded-For"):
            self._reply(HTTPStatus.FORBIDDEN)
            return
        raw = self.headers.get(TTL_HEADER, "")
        ttl = int(raw) if raw.isascii() and raw.isdigit() else 0
        if not 1 <= ttl <= MAX_TTL:
            self._reply(HTTPStatus.BAD_REQUEST)
            return
        token = self.tokens.issue(ttl)
        self._reply(HTTPStatus.OK, token.encode(), {TTL_HEADER: str(ttl)})

    def do_GET(self) -> None:
        if not self.tokens.valid(self.headers.get(TOKEN_HEADER)):
            self._reply(HTTPStatus.UNAUTHORIZED)
            return
        path = self.path.split("?", 1)[0]
        instance = instance_id(self.client_address[0])
        try:
            body = self.route(path, instance)
        except NotFound:
            self._reply(HTTPStatus.NOT_FOUND)
            return
        except Exception as exc:  # moto unreachable, or a lookup it refuses
            self.log_message("lookup failed for %s: %s", path, type(exc).__name__)
            self._reply(HTTPStatus.INTERNAL_SERVER_ERROR)
            return
        self._reply(HTTPStatus.OK, body)

    do_HEAD = do_GET

    def route(self, path: str, instance: str) -> bytes:
        md = self.metadata
        fixed = {
            "/latest/user-data": md.user_data,
            "/latest/meta-data/instance-id": instance.encode,
            "/latest/meta-data/placement/region": md.region.encode,
            "/latest/meta-data/placement/availability-zone": f"{md.region}a".encode,
            "/latest/meta-data/iam/info": lambda: json.dumps(md.info(), indent=2).encode(),
            CREDS_PREFIX: lambda: md.role_name().encode(),
        }
        if path in fixed:
            return fixed[path]()
        role = path.removeprefix(CREDS_PREFIX).rstrip("/")
        if path.startswith(CREDS_PREFIX) and role and "/" not in role:
            return json.dumps(md.credentials(role, instance), indent=2).encode()
        raise NotFound(path)

    def log_request(self, code="-", size="-") -> None:
        # The method and path only: headers carry tokens, bodies carry keys.
        code = getattr(code, "value", code)
        path = (getattr(self, "path", None) or "-").split("?", 1)[0]
        self.log_message("%s %s %s", self.command or "-", path, code)

    def log_message(self, format: str, *args) -> None:
        print(f"imds: {self.client_address[0]} {format % args}", file=sys.stderr, flush=True)


def serve(args: argparse.Namespace) -> ThreadingHTTPServer:
    metadata = Metadata(
        args.endpoint,
        args.region,
        template=args.launch_template,
        template_file=Path(args.launch_template_file) if args.launch_template_file else None,
    )
    handler = type("LabHandler", (Handler,), {"metadata": metadata, "tokens": Tokens()})
    server = ThreadingHTTPServer((args.bind, args.port), handler)
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--endpoint", required=True, help="the moto server's URL")
    parser.add_argument("--region", default="us-east-1")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--launch-template", metavar="NAME", help="name or lt- id, fixed")
    which.add_argument(
        "--launch-template-file",
        metavar="PATH",
        help="a file holding the name or lt- id, read at every request",
    )
    args = parser.parse_args(argv)
    server = serve(args)
    print(
        f"imds: serving on http://{args.bind}:{args.port}/ for {args.endpoint}",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
