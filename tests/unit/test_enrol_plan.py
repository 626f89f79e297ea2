"""enrol_plan's plain functions: the input checks name the variable and the fix, the bundle key is
content-addressed, ARNs carry the region's partition, and every policy Resource is literal but
for the six '?' of a Secrets Manager ARN. What the policies allow is judged by a real evaluator
in tests/integration/test_enrol_decisions.py."""

import re
from pathlib import Path

import pytest
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import enrol_plan as E
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VP = "ssm_runas_enrol_"
SHA = "3f1c0e7a9b5d42e68f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KMS_KEY = f"arn:aws:kms:eu-west-3:210987654321:key/{KEY_ID}"
GOOD = {
    "bucket": "bundles.corp-eu.example",
    "prefix": "fleet/linux/ssm-runas.v2/bundles/",
    "secret_store": "secretsmanager",
    "secret_name": "corp/enrol.v2/join+svc=adm@ad-01",
    "instance_role": "Enrol.Fleet+sm@eu_west-3",
    "account_id": "210987654321",
    "region": "eu-west-3",
    "kms_key_arn": KMS_KEY,
}
GOOD_SSM = {**GOOD, "secret_store": "ssm", "secret_name": "/corp/enrol.v2/join_svc-01"}


# ----------------------------------------------------------------------------------- check


@pytest.mark.parametrize(
    "values",
    [
        GOOD,
        GOOD_SSM,
        {**GOOD, "kms_key_arn": ""},
        {k: v for k, v in GOOD_SSM.items() if k not in ("kms_key_arn", "prefix")},
        {**GOOD, "account_id": 210987654321},  # a number, as YAML reads it
        {**GOOD, "kms_key_arn": f"arn:aws:kms:eu-west-3:109876543210:key/mrk-{'0a' * 16}"},
        {
            **GOOD,
            "region": "cn-north-1",
            "kms_key_arn": f"arn:aws-cn:kms:cn-north-1:210987654321:key/{KEY_ID}",
        },
        {
            **GOOD,
            "region": "us-gov-west-1",
            "kms_key_arn": f"arn:aws-us-gov:kms:us-gov-west-1:210987654321:key/{KEY_ID}",
        },
    ],
    ids=["secretsmanager", "ssm", "no-kms", "defaults", "numeric-account", "mrk", "cn", "gov"],
)
def test_good_inputs_have_no_errors(values):
    assert E.check(values, var_prefix=VP) == []


# (variable, bad value, words of the fix the message must give)
BAD = [
    ("bucket", "Bundles", "3-63 characters of a-z, 0-9"),
    ("bucket", "ab", "3-63 characters"),
    ("bucket", "a" * 64, "3-63 characters"),
    ("bucket", "-bundles", "starting and ending with a letter or digit"),
    ("bucket", "bundles.", "starting and ending with a letter or digit"),
    ("bucket", "bun..dles", "3-63 characters"),
    ("bucket", "bun_dles", "a-z, 0-9, '.' and '-'"),
    ("bucket", "bundles\n", "3-63 characters"),
    ("bucket", 42, "3-63 characters"),
    ("prefix", "/ssm-runas/bundles/", "relative and ends with '/'"),
    ("prefix", "ssm-runas/bundles", "relative and ends with '/'"),
    ("prefix", "", "ends with '/'"),
    ("prefix", 5, "ends with '/'"),
    ("secret_store", "s3", "choose one of secretsmanager, ssm"),
    ("secret_store", "SSM", "choose one of secretsmanager, ssm"),
    ("secret_store", None, "choose one of secretsmanager, ssm"),
    ("secret_name", "join secret", "1-512 of letters, digits and /_+=.@-"),
    ("secret_name", "join#1", "1-512 of letters, digits and /_+=.@-"),
    ("secret_name", "j" * 513, "1-512"),
    ("secret_name", "corp/join\n", "1-512"),
    ("secret_name", "corp/join-*", "/_+=.@-"),
    ("secret_name", ["corp/join"], "1-512"),
    ("instance_role", "", "1-64 of letters, digits and +=,.@_-"),
    ("instance_role", "r" * 65, "1-64"),
    ("instance_role", "team/enrol", "+=,.@_-"),
    ("instance_role", "enrol role", "+=,.@_-"),
    ("instance_role", "enrol\n", "1-64"),
    ("account_id", "21098765432", "twelve digits"),
    ("account_id", "2109876543210", "twelve digits"),
    ("account_id", "abcdefghijkl", "twelve digits"),
    ("account_id", "210987654321\n", "twelve digits"),
    ("account_id", None, "twelve digits"),
    ("region", "EU-WEST-3", "such as us-east-1"),
    ("region", "eu-west", "such as us-east-1"),
    ("region", "europe", "such as us-east-1"),
    ("region", "eu-west-3\n", "such as us-east-1"),
    ("region", None, "such as us-east-1"),
    ("kms_key_arn", KEY_ID, "arn:aws:kms:<region>:<account>:key/<key id>"),
    ("kms_key_arn", "alias/enrol", "not an alias"),
    ("kms_key_arn", "arn:aws:kms:eu-west-3:210987654321:alias/enrol", "not an alias"),
    ("kms_key_arn", "arn:aws:kms:eu-west-3:210987654321:key/*", "no wildcards"),
    ("kms_key_arn", "arn:aws:kms:*:210987654321:key/" + KEY_ID, "no wildcards"),
    ("kms_key_arn", "arn:aws:kms:eu-west-3:21098765432:key/" + KEY_ID, "<account>"),
    ("kms_key_arn", KMS_KEY.upper(), "arn:aws:kms:"),
    ("kms_key_arn", KMS_KEY + "\n", "arn:aws:kms:"),
    ("kms_key_arn", 7, "arn:aws:kms:"),
    ("kms_key_arn", KMS_KEY.replace("eu-west-3", "eu-west-1"), "a key in eu-west-3"),
    ("kms_key_arn", KMS_KEY.replace("arn:aws:", "arn:aws-cn:"), "partition (arn:aws:)"),
]


@pytest.mark.parametrize(("name", "bad", "fix"), BAD, ids=[f"{n}={b!r}" for n, b, _ in BAD])
def test_each_bad_input_names_its_variable_and_the_fix(name, bad, fix):
    errors = E.check({**GOOD, name: bad}, var_prefix=VP)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{VP}{name} {bad!r}: "), errors
    assert fix in errors[0]


SSM_BAD = ["/corp//join", "/corp/join+x", "/corp/join@ad", "/corp join", "/corp/join\n"]
# Systems Manager User Guide, "Creating Systems Manager parameters": no name prefixed with aws
# or ssm (any case); a name with a '/' is fully qualified (starts with '/').
SSM_REFUSED = ["/aws/corp/join", "ssm-join", "/SSM/corp/join", "AWSjoin", "corp/join", "/Ssm-x"]


@pytest.mark.parametrize("bad", SSM_REFUSED)
def test_a_parameter_name_ssm_refuses_names_its_rule(bad):
    errors = E.check({**GOOD_SSM, "secret_name": bad}, var_prefix=VP)
    assert len(errors) == 1 and errors[0].startswith(f"{VP}secret_name {bad!r}: "), errors
    assert "start with 'aws' or 'ssm'" in errors[0]


@pytest.mark.parametrize(
    ("store", "name"),
    [("secretsmanager", "federated-ssm-runas/join"), ("ssm", "/federated-ssm-runas/join")],
)
def test_without_a_name_each_store_gets_a_name_it_accepts(store, name):
    values = {**(GOOD if store == "secretsmanager" else GOOD_SSM), "secret_name": ""}
    assert E.check(values) == []
    assert E.secret_name(values) == name


@pytest.mark.parametrize("bad", SSM_BAD)
def test_a_bad_parameter_name_names_the_ssm_rule(bad):
    errors = E.check({**GOOD_SSM, "secret_name": bad}, var_prefix=VP)
    assert errors == [
        f"{VP}secret_name {bad!r}: an SSM parameter name is letters, digits and _.-/ without '//' "
        "(e.g. /corp/enrol/join)"
    ]


def test_every_problem_at_once_each_variable_once():
    values = {
        "bucket": "B",
        "prefix": "/x",
        "secret_store": "vault",
        "secret_name": "a b",
        "instance_role": "",
        "account_id": "1",
        "region": "x",
        "kms_key_arn": "alias/x",
    }
    errors = E.check(values, var_prefix=VP)
    named = [e.split(" ", 1)[0] for e in errors]
    assert named == [VP + k for k in values]


def test_without_a_prefix_messages_start_with_the_variable():
    assert E.check({**GOOD, "bucket": "B"}) == [
        "bucket 'B': an S3 bucket name is 3-63 characters of a-z, 0-9, '.' and '-', "
        "starting and ending with a letter or digit"
    ]


def test_a_missing_mapping_is_every_required_variable():
    named = [e.split(" ", 1)[0] for e in E.check({}, var_prefix=VP)]
    assert named == [
        VP + k
        for k in ("bucket", "secret_store", "secret_name", "instance_role", "account_id", "region")
    ]


BUCKETS = st.from_regex(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", fullmatch=True).filter(
    lambda b: ".." not in b
)
PREFIXES = st.lists(st.from_regex(r"[A-Za-z0-9!_.*'()$?-]{1,12}", fullmatch=True), max_size=4).map(
    lambda parts: "".join(p + "/" for p in parts)
)
SECRET_NAMES = st.from_regex(r"[A-Za-z0-9/_+=.@-]{1,64}", fullmatch=True)
PARAMETER_NAMES = st.from_regex(r"/?[A-Za-z0-9_.\-/]{1,64}", fullmatch=True).filter(
    lambda n: "//" not in n and not E._reserved_parameter(n)
)
ROLES = st.from_regex(r"[A-Za-z0-9_+=,.@-]{1,64}", fullmatch=True)
ACCOUNTS = st.from_regex(r"[0-9]{12}", fullmatch=True)
REGIONS = st.sampled_from(
    ["us-east-1", "eu-west-3", "ap-southeast-4", "cn-north-1", "us-gov-west-1"]
)
SHAS = st.from_regex(r"[0-9a-f]{64}", fullmatch=True)


@st.composite
def enrolments(draw):
    store = draw(st.sampled_from(E.SECRET_STORES))
    region = draw(REGIONS)
    account = draw(ACCOUNTS)
    key = f"arn:{E.partition_of(region)}:kms:{region}:{account}:key/{KEY_ID}"
    return {
        "bucket": draw(BUCKETS),
        "prefix": draw(PREFIXES.filter(bool)),
        "secret_store": store,
        "secret_name": draw(SECRET_NAMES if store == "secretsmanager" else PARAMETER_NAMES),
        "instance_role": draw(ROLES),
        "account_id": account,
        "region": region,
        "kms_key_arn": draw(st.sampled_from(["", key])),
    }


@SETTINGS
@given(enrolments())
def test_any_well_formed_enrolment_passes(values):
    assert E.check(values, var_prefix=VP) == []


# ------------------------------------------------------------------------------ bundle_key


def test_the_bundle_key_is_the_prefix_the_sha_and_the_suffix():
    assert E.bundle_key("fleet/v2/", SHA) == f"fleet/v2/{SHA}.tar.gz"
    assert E.bundle_key(E.DEFAULT_PREFIX, SHA) == f"ssm-runas/bundles/{SHA}.tar.gz"


@pytest.mark.parametrize(
    "bad",
    [
        SHA.upper(),
        SHA[:-1],
        SHA + "0",
        "g" * 64,
        SHA + "\n",
        " " + SHA[1:],
        "",
        f"sha256:{SHA}",
        "*",
        None,
    ],
    ids=["upper", "63", "65", "non-hex", "newline", "space", "empty", "labelled", "star", "none"],
)
def test_bundle_key_rejects_anything_but_a_sha256(bad):
    with pytest.raises(ValueError, match="64 lower-case hex digits"):
        E.bundle_key("fleet/", bad)


@SETTINGS
@given(st.text(max_size=80))
def test_bundle_key_takes_only_64_lower_hex(text):
    if re.fullmatch(r"[0-9a-f]{64}", text):
        assert E.bundle_key("p/", text) == f"p/{text}.tar.gz"
    else:
        with pytest.raises(ValueError):
            E.bundle_key("p/", text)


# ---------------------------------------------------------------------------- partition_of


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("eu-west-3", "aws"),
        ("ap-southeast-4", "aws"),
        ("ca-central-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("cn-northwest-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-gov-east-1", "aws-us-gov"),
    ],
)
def test_partition_of(region, partition):
    assert E.partition_of(region) == partition


# ----------------------------------------------------------------------- secret_arn_pattern


def test_a_secrets_manager_arn_ends_in_six_wildcards():
    assert (
        E.secret_arn_pattern("secretsmanager", "corp/join+a=b.c@d", "eu-west-3", "210987654321")
        == "arn:aws:secretsmanager:eu-west-3:210987654321:secret:corp/join+a=b.c@d-??????"
    )


@pytest.mark.parametrize("name", ["/corp/enrol/join", "corp/enrol/join"])
def test_a_parameter_arn_drops_the_leading_slash(name):
    assert (
        E.secret_arn_pattern("ssm", name, "eu-west-3", "210987654321")
        == "arn:aws:ssm:eu-west-3:210987654321:parameter/corp/enrol/join"
    )


@pytest.mark.parametrize(
    ("region", "head"),
    [
        ("cn-north-1", "arn:aws-cn:secretsmanager:cn-north-1:"),
        ("us-gov-west-1", "arn:aws-us-gov:secretsmanager:us-gov-west-1:"),
    ],
)
def test_the_secret_arn_carries_the_partition(region, head):
    assert E.secret_arn_pattern("secretsmanager", "j", region, "210987654321").startswith(head)


def test_iam_syntax_in_a_name_is_literal():
    """Names that check() accepts hold no IAM syntax; called without check(), it stays literal."""
    got = E.secret_arn_pattern("secretsmanager", "a*b?${c}", "eu-west-3", "210987654321")
    assert got.endswith(":secret:a${*}b${?}${$}{c}-??????")
    got = E.secret_arn_pattern("ssm", "/a*?", "eu-west-3", "210987654321")
    assert got.endswith(":parameter/a${*}${?}")


# ------------------------------------------------------------- policies: literal Resources

_TOKEN = re.compile(r"\$\{\*\}|\$\{\?\}|\$\{\$\}|\$\{[^}]*\}|\*|\?|[^$*?]+|\$")


def iam_tokens(resource):
    """A Resource as IAM reads it: ('literal', text) | ('wildcard', '*' or '?') | ('variable', _)
    (IAM User Guide, policy variables and special characters)."""
    out = []
    for token in _TOKEN.findall(resource):
        if token in ("${*}", "${?}", "${$}"):
            out.append(("literal", token[2]))
        elif token in ("*", "?"):
            out.append(("wildcard", token))
        elif token.startswith("${"):
            out.append(("variable", token))
        else:
            out.append(("literal", token))
    return out


def read_literally(resource):
    """The text ``resource`` matches when it holds no wildcard and no variable."""
    tokens = iam_tokens(resource)
    assert all(kind == "literal" for kind, _ in tokens), tokens
    return "".join(text for _, text in tokens)


@SETTINGS
@given(st.text(max_size=40))
def test_iam_literal_reads_back_as_the_text(text):
    assert read_literally(E.iam_literal(text)) == text


def resources(policy):
    return {st["Sid"]: st["Resource"] for st in policy["Statement"]}


@SETTINGS
@given(enrolments(), st.text(max_size=30), SHAS)
def test_the_only_wildcards_are_the_secrets_six(values, extra, sha):
    """Whatever the prefix holds (an S3 key may hold * ? and ${), the bundle's Resource matches
    exactly its key; the secret's Resource adds wildcards only as its six-character suffix."""
    prefix = values["prefix"] + extra
    key = E.bundle_key(prefix, sha)
    policy = E.instance_policy(
        bucket=values["bucket"],
        key=key,
        secret_store=values["secret_store"],
        secret_name=values["secret_name"],
        region=values["region"],
        account_id=values["account_id"],
        kms_key_arn=values["kms_key_arn"],
    )
    got = resources(policy)
    part = E.partition_of(values["region"])
    assert read_literally(got["ReadTheBundle"]) == f"arn:{part}:s3:::{values['bucket']}/{key}"
    secret, store = got["ReadTheJoinSecret"], values["secret_store"]
    if store == "secretsmanager":
        assert secret.endswith("-??????")
        assert read_literally(secret.removesuffix("??????")).endswith(
            f":secret:{values['secret_name']}-"
        )
    else:
        assert read_literally(secret).endswith(f":parameter/{values['secret_name'].lstrip('/')}")
    if values["kms_key_arn"]:
        assert read_literally(got["DecryptTheJoinSecret"]) == values["kms_key_arn"]
    else:
        assert "DecryptTheJoinSecret" not in got


# ------------------------------------------------------------------- policies: statements


def policy_of(values, key=None):
    return E.instance_policy(
        bucket=values["bucket"],
        key=key or E.bundle_key(values["prefix"], SHA),
        secret_store=values["secret_store"],
        secret_name=values["secret_name"],
        region=values["region"],
        account_id=values["account_id"],
        kms_key_arn=values["kms_key_arn"],
    )


@pytest.mark.parametrize(
    ("values", "read", "via"),
    [
        (GOOD, "secretsmanager:GetSecretValue", "secretsmanager.eu-west-3.amazonaws.com"),
        (GOOD_SSM, "ssm:GetParameter", "ssm.eu-west-3.amazonaws.com"),
    ],
    ids=["secretsmanager", "ssm"],
)
def test_one_action_per_statement_and_decrypt_only_via_the_store(values, read, via):
    policy = policy_of(values)
    assert policy["Version"] == "2012-10-17"
    actions = {st["Sid"]: st["Action"] for st in policy["Statement"]}
    assert actions == {
        "ReadTheBundle": "s3:GetObject",
        "ReadTheJoinSecret": read,
        "DecryptTheJoinSecret": "kms:Decrypt",
    }
    assert all(st["Effect"] == "Allow" for st in policy["Statement"])
    [decrypt] = [st for st in policy["Statement"] if st["Sid"] == "DecryptTheJoinSecret"]
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": via}}
    without_key = policy_of({**values, "kms_key_arn": ""})
    assert [st["Sid"] for st in without_key["Statement"]] == ["ReadTheBundle", "ReadTheJoinSecret"]


def test_china_arns_and_service_principal():
    values = {
        **GOOD,
        "region": "cn-north-1",
        "kms_key_arn": f"arn:aws-cn:kms:cn-north-1:210987654321:key/{KEY_ID}",
    }
    got = resources(policy_of(values))
    assert got["ReadTheBundle"].startswith("arn:aws-cn:s3:::bundles.corp-eu.example/")
    assert got["ReadTheJoinSecret"].startswith("arn:aws-cn:secretsmanager:cn-north-1:")
    [statement] = E.trust_policy("cn-north-1")["Statement"]
    assert statement["Principal"] == {"Service": "ec2.amazonaws.com.cn"}


def test_the_trust_policy_lets_ec2_assume_the_role_and_nothing_else():
    assert E.trust_policy("eu-west-3") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


@pytest.mark.parametrize("key", ["user_data", "iam_instance_profile", "ImageId", "instance_tags"])
def test_launch_template_data_passes_on_only_what_the_role_passes(key):
    errors = E.check({**GOOD, "launch_template_data": {key: "x", "image_id": "ami-1"}}, VP)
    assert len(errors) == 1 and errors[0].startswith(f"{VP}launch_template_data: {key} "), errors
    assert E.check({**GOOD, "launch_template_data": dict.fromkeys(E.LAUNCH_TEMPLATE_KEYS)}) == []


def test_the_role_passes_on_every_launch_template_key_it_accepts():
    tasks = (Path(__file__).parents[2] / "roles/aws_federation/tasks/enrol.yml").read_text()
    for key in E.LAUNCH_TEMPLATE_KEYS:
        assert f'{key}: "{{{{ __enrol.launch_template_data.{key} | default(omit) }}}}"' in tasks
