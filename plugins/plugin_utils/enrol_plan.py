"""What the AWS side provisions for instances that enrol themselves at launch.

Plain functions over plain values: the S3 key of a bundle (content-addressed), the ARN of the
join secret, the instance profile's least-privilege policy (read this bundle and this secret,
nothing else) and its trust policy. Callers name their own variables in messages through
``var_prefix``; nothing here knows a role.
"""

from __future__ import annotations

import re

# The two places a join secret may live, and the one read each needs.
READ_ACTION = {"secretsmanager": "secretsmanager:GetSecretValue", "ssm": "ssm:GetParameter"}
SECRET_STORES = tuple(READ_ACTION)
DEFAULT_PREFIX = "ssm-runas/bundles/"
DEFAULT_SECRET_NAME = {
    "secretsmanager": "federated-ssm-runas/join",
    "ssm": "/federated-ssm-runas/join",
}
BUNDLE_SUFFIX = ".tar.gz"
# Bucket names: 3-63 of a-z, 0-9, '.', '-', starting and ending with a letter or digit
# (Amazon S3 User Guide, "General purpose bucket naming rules").
# The enrolment's settings as a caller writes them (an Ansible argument spec), defaults here only.
SPEC = {
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "bucket": {"type": "str", "required": True},
    "prefix": {"type": "str", "default": DEFAULT_PREFIX},
    "manage_bucket": {"type": "bool", "default": True},
    "secret_store": {"type": "str", "choices": list(READ_ACTION), "default": "secretsmanager"},
    # Default by store: DEFAULT_SECRET_NAME (a parameter in a hierarchy starts with '/').
    "secret_name": {"type": "str"},
    "manage_secret": {"type": "bool", "default": True},
    "kms_key_arn": {"type": "str", "default": ""},
    "instance_role": {"type": "str", "default": "SSMRunAsEnrol"},
    "instance_managed_policies": {"type": "list", "elements": "str", "default": []},
    "launch_template": {"type": "str", "default": ""},
    "launch_template_data": {"type": "dict", "default": {}},
    "retry_seconds": {"type": "int", "default": 1800},
    "linux_vars": {"type": "dict", "default": {}},
}
# What launch_template_data may set: amazon.aws.ec2_launch_template options the role passes on.
# user_data and iam_instance_profile are the enrolment's own.
LAUNCH_TEMPLATE_KEYS = (
    "image_id",
    "instance_type",
    "network_interfaces",
    "security_group_ids",
    "key_name",
    "tags",
    "tag_specifications",
    "metadata_options",
    "block_device_mappings",
)
# The inline policy's name on the instance role.
POLICY_NAME = "SSMRunAsEnrolRead"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Secrets Manager names: 1-512 of letters, digits and /_+=.@- (API reference, CreateSecret).
_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
# Parameter names: letters, digits and _.-/ (Systems Manager User Guide, parameter names).
_PARAMETER_NAME = re.compile(r"^/?[A-Za-z0-9_.\-/]{1,1011}$")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
# A KMS key's ARN: a key id is a UUID, or mrk- and 32 hex digits for a multi-Region key
# (AWS KMS Developer Guide, "Key identifiers"). Not an alias: an alias ARN in a policy's Resource
# controls the alias, not the key it points to.
_KMS_KEY_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):kms:(?P<region>[a-z0-9-]+):\d{12}:key/"
    r"(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
# In a Resource IAM reads '*' and '?' as wildcards and '${...}' as a policy variable; ${*}, ${?}
# and ${$} stand for the characters themselves (IAM User Guide, "IAM policy elements:
# Variables and tags", special characters; Version 2012-10-17, which these policies are).
_IAM_LITERAL = {"$": "${$}", "*": "${*}", "?": "${?}"}


def _fits(pattern: re.Pattern, value) -> bool:
    """The whole of ``value`` is a string of ``pattern`` ('$' alone would let a final newline
    through)."""
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def check(values: dict, var_prefix: str = "") -> list[str]:
    """Every problem of the enrolment inputs at once, each naming the variable and a fix."""
    p = var_prefix
    errors = []
    bucket = values.get("bucket") or ""
    if not _fits(_BUCKET, bucket) or ".." in bucket:
        errors.append(
            f"{p}bucket {bucket!r}: an S3 bucket name is 3-63 characters of a-z, 0-9, '.' and '-', "
            "starting and ending with a letter or digit"
        )
    prefix = values.get("prefix", DEFAULT_PREFIX)
    if not isinstance(prefix, str) or prefix.startswith("/") or not prefix.endswith("/"):
        errors.append(
            f"{p}prefix {prefix!r}: a key prefix is relative and ends with '/' "
            f"(e.g. {DEFAULT_PREFIX!r})"
        )
    store = values.get("secret_store")
    if store not in SECRET_STORES:
        errors.append(f"{p}secret_store {store!r}: choose one of {', '.join(SECRET_STORES)}")
    errors.extend(_secret_errors(store, values.get("secret_name"), p))
    role = values.get("instance_role") or ""
    if not _fits(_ROLE_NAME, role):
        errors.append(
            f"{p}instance_role {role!r}: an IAM role name is 1-64 of letters, digits and +=,.@_-"
        )
    if not _fits(_ACCOUNT, str(values.get("account_id") or "")):
        errors.append(
            f"{p}account_id {values.get('account_id')!r}: an AWS account id, twelve digits"
        )
    if not _fits(_REGION, str(values.get("region") or "")):
        errors.append(f"{p}region {values.get('region')!r}: an AWS region such as us-east-1")
    if not isinstance(values.get("retry_seconds", 0), int) or values.get("retry_seconds", 0) < 0:
        errors.append(f"{p}retry_seconds {values.get('retry_seconds')!r}: seconds, 0 or more")
    template = values.get("launch_template") or ""
    if template and not re.match(r"^[a-zA-Z0-9().\-/_]{3,128}$", template):
        errors.append(
            f"{p}launch_template {template!r}: 3-128 of letters, digits and ().-/_ "
            "(EC2 API reference, CreateLaunchTemplate)"
        )
    data = values.get("launch_template_data") or {}
    unknown = sorted(set(data) - set(LAUNCH_TEMPLATE_KEYS)) if isinstance(data, dict) else []
    if unknown:
        errors.append(
            f"{p}launch_template_data: {', '.join(unknown)} not passed on; it takes "
            f"{', '.join(LAUNCH_TEMPLATE_KEYS)} (user data and the instance profile are the "
            "enrolment's own)"
        )
    kms = values.get("kms_key_arn") or ""
    key = _KMS_KEY_ARN.fullmatch(kms) if isinstance(kms, str) else None
    region = str(values.get("region") or "")
    if kms and not key:
        errors.append(
            f"{p}kms_key_arn {kms!r}: the key's ARN, arn:aws:kms:<region>:<account>:key/<key id> "
            "(not an alias, no wildcards)"
        )
    elif key and _fits(_REGION, region) and key["region"] != region:
        errors.append(
            f"{p}kms_key_arn {kms!r}: a key in {region}, the secret's region (a secret is "
            "encrypted with a key of its own region; for a multi-Region key, its replica there)"
        )
    elif key and _fits(_REGION, region) and key["partition"] != partition_of(region):
        partition = partition_of(region)
        errors.append(f"{p}kms_key_arn {kms!r}: a key of {region}'s partition (arn:{partition}:)")
    return errors


def _secret_errors(store, name, p: str) -> list[str]:
    name = name or DEFAULT_SECRET_NAME.get(store, "")
    pattern = _PARAMETER_NAME if store == "ssm" else _SECRET_NAME
    if store == "ssm" and _fits(pattern, name) and _reserved_parameter(name):
        return [
            f"{p}secret_name {name!r}: Systems Manager refuses parameter names that start with "
            "'aws' or 'ssm' (any case), and a name holding '/' must start with '/' "
            "(e.g. /corp/enrol/join)"
        ]
    if not _fits(pattern, name) or (store == "ssm" and "//" in name):
        return [
            f"{p}secret_name {name!r}: "
            + (
                "an SSM parameter name is letters, digits and _.-/ without '//' "
                "(e.g. /corp/enrol/join)"
                if store == "ssm"
                else "a Secrets Manager secret name is 1-512 of letters, digits and /_+=.@- "
                "(e.g. corp/enrol/join)"
            )
        ]
    return []


def _reserved_parameter(name: str) -> bool:
    """Names SSM's PutParameter refuses (Systems Manager User Guide, "Parameter naming")."""
    first = name.lstrip("/").split("/", 1)[0].lower()
    return first.startswith(("aws", "ssm")) or ("/" in name and not name.startswith("/"))


def secret_name(values: dict) -> str:
    """The secret's name: the caller's, else the store's default."""
    return values.get("secret_name") or DEFAULT_SECRET_NAME[values["secret_store"]]


def bundle_key(prefix: str, sha256: str) -> str:
    """The S3 key of a bundle: its own SHA-256, so an instance gets exactly what was reviewed."""
    if not _fits(_SHA256, sha256):
        raise ValueError(f"bundle sha256 {sha256!r}: 64 lower-case hex digits")
    return f"{prefix}{sha256}{BUNDLE_SUFFIX}"


def iam_literal(text: str) -> str:
    """``text`` written so that a policy's Resource matches it and nothing else."""
    return "".join(_IAM_LITERAL.get(char, char) for char in text)


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def secret_arn_pattern(store: str, name: str, region: str, account_id: str) -> str:
    """The secret's ARN as an IAM resource.

    A Secrets Manager ARN ends in '-' and six random characters AWS adds (User Guide,
    "Permissions to a secret": ``-??????`` matches exactly that suffix and nothing longer);
    a parameter's ARN has its name without the leading '/'. Those six '?' are the only
    wildcards: the name itself is matched literally.
    """
    part = partition_of(region)
    if store == "secretsmanager":
        return f"arn:{part}:secretsmanager:{region}:{account_id}:secret:{iam_literal(name)}-??????"
    return f"arn:{part}:ssm:{region}:{account_id}:parameter/{iam_literal(name.lstrip('/'))}"


def instance_policy(
    *,
    bucket: str,
    key: str,
    secret_store: str,
    secret_name: str,
    region: str,
    account_id: str,
    kms_key_arn: str = "",
) -> dict:
    """Read this bundle and this secret, nothing else.

    No s3:ListBucket (an instance is told its key), no other object, no write, no other
    secret. A customer managed KMS key adds kms:Decrypt on that key only, and only through
    the secret's service (kms:ViaService); AWS managed keys need no statement. Bucket, key and
    key ARN are literal: a '*', '?' or '${' in them (an S3 key may hold all three) matches only
    itself, never as a wildcard or a policy variable.
    """
    part = partition_of(region)
    statements = [
        {
            "Sid": "ReadTheBundle",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:{part}:s3:::{iam_literal(bucket)}/{iam_literal(key)}",
        },
        {
            "Sid": "ReadTheJoinSecret",
            "Effect": "Allow",
            "Action": READ_ACTION[secret_store],
            "Resource": secret_arn_pattern(secret_store, secret_name, region, account_id),
        },
    ]
    if kms_key_arn:
        via = f"{READ_ACTION[secret_store].split(':')[0]}.{region}.amazonaws.com"
        statements.append(
            {
                "Sid": "DecryptTheJoinSecret",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": iam_literal(kms_key_arn),
                "Condition": {"StringEquals": {"kms:ViaService": via}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def trust_policy(region: str) -> dict:
    """EC2 may hand the role to an instance (the instance profile's role)."""
    service = "ec2.amazonaws.com.cn" if region.startswith("cn-") else "ec2.amazonaws.com"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
