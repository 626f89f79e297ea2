"""parliament (the policy linter) on every shape of generated policy; each finding it still
reports is listed here with the reason it is not a problem."""

import json
import warnings
from pathlib import Path

import pytest
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import iam_documents as iam

with warnings.catch_warnings():
    # parliament 1.6.4 imports pkg_resources (setuptools is pinned below 81 for it).
    warnings.simplefilter("ignore", UserWarning)
    import parliament

METADATA = (
    Path(__file__).resolve().parents[1] / "integration" / "iam_eval" / "adfs-metadata.xml"
).read_text()

EXPLAINED = {
    # A trust policy is a resource policy: it names a Principal and never a Resource.
    # parliament 1.6.4 lints every document as an identity policy.
    ("trust_policy", "MALFORMED", "Statement contains neither Resource nor NotResource"),
    # ssm:SessionDocumentAccessCheck is documented by AWS for StartSession (Session Manager
    # "Enforce a session document permission check"); parliament's bundled IAM data predates it.
    (
        "permissions_policy",
        "UNKNOWN_CONDITION_FOR_ACTION",
        "Unknown condition ssm:SessionDocumentAccessCheck for action ssm:StartSession",
    ),
}

SHAPES = [
    {},
    {"upn_suffix": "example.test"},
    {"upn_suffix": "example.test", "allowed_tag_keys": ["SSMSessionRunAs", "Dept"]},
    {"instance_tag": {"SessionManager": "enabled"}},
    {"saml_audiences": ["https://signin.aws.amazon.com/saml", "https://x.example/saml"]},
    {"partition": "aws-us-gov", "tag_key": "RunAs"},
]


@pytest.mark.parametrize("shape", SHAPES, ids=[",".join(s) or "defaults" for s in SHAPES])
def test_parliament_finds_nothing_unexplained(shape):
    plan = iam.federation_plan(
        {
            "account_id": "123456789012",
            "saml_provider_name": "ADFS",
            "saml_metadata": METADATA,
            "tag_key": "SSMSessionRunAs",
            "saml_audiences": ["https://signin.aws.amazon.com/saml"],
            "policy_name": "EC2SSMPermissions",
            "roles": [{"name": "R"}],
        }
        | shape
    )
    for name in ("trust_policy", "permissions_policy"):
        policy = parliament.analyze_policy_string(
            json.dumps(plan[name]), include_community_auditors=True
        )
        unexplained = [
            (f.issue, f.detail)
            for f in policy.findings
            if (name, f.issue, f.detail) not in EXPLAINED
        ]
        assert unexplained == [], f"{name}: {unexplained}"
