# -*- coding: utf-8 -*-
# Copyright: federated.ssm_runas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM documents for Session Manager run-as through a SAML (ADFS) federation.

Pure functions, no AWS calls: validate the federation data, then build the SAML provider
ARN, each role's trust policy and the EC2SSMPermissions managed policy. Every error names
the variable, the bad value and the fix, and is raised before anything talks to AWS.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.federated.ssm_runas.plugins.module_utils import ssm_preferences
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.iam_inputs import (
    PARTITION_RE,
    POLICY_NAME_RE,
    FederationInputError,
    fail,
    plain,
    validate_account_id,
    validate_allowed_tag_keys,
    validate_audiences,
    validate_instance_tag,
    validate_provider_name,
    validate_role,
    validate_saml_metadata,
    validate_session_tag_key,
    validate_upn_suffix,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_schema import schema_default

__all__ = [
    "FederationInputError",
    "POLICY_VERSION",
    "RUN_SHELL_DOCUMENT",
    "SAML_ACTIONS",
    "federation_plan",
    "permissions_policy",
    "policy_arn",
    "provider_arn",
    "trust_policy",
    "validate_session_tag_key",
    "validate_upn_suffix",
]

POLICY_VERSION = "2012-10-17"
RUN_SHELL_DOCUMENT = ssm_preferences.DOCUMENT_NAME
SAML_ACTIONS = ["sts:AssumeRoleWithSAML", "sts:TagSession"]


def provider_arn(account_id, name, partition="aws"):
    return "arn:%s:iam::%s:saml-provider/%s" % (partition, account_id, name)


def policy_arn(account_id, name, partition="aws", path="/"):
    return "arn:%s:iam::%s:policy%s%s" % (partition, account_id, path, name)


def _run_as_values(upn_suffix):
    """A present, non-empty run-as value ("?*": StringLike "*" also matches ""), ending in the
    UPN suffix when there is one, so nobody is tagged ``root`` or ``ec2-user``."""
    return ["?*" + (upn_suffix or "")]


def trust_policy(provider, audiences, tag_key, upn_suffix=None, allowed_tag_keys=None):
    """Who may assume the role: the SAML provider, with a right audience and a run-as tag.

    Besides the run-as key, only ``allowed_tag_keys`` may be passed (``aws:TagKeys``), and the
    run-as key must be transitive (``sts:TransitiveTagKeys``), so a chained session keeps it
    and cannot be tagged as someone else.
    """
    keys = list(dict.fromkeys([tag_key, *(allowed_tag_keys or [])]))
    condition = {
        "StringEquals": {"SAML:aud": list(audiences)},
        "StringLike": {"aws:RequestTag/%s" % tag_key: _run_as_values(upn_suffix)},
        "ForAllValues:StringEquals": {"aws:TagKeys": keys},
        "ForAnyValue:StringEquals": {"sts:TransitiveTagKeys": [tag_key]},
    }
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "AssumeWithRunAsTag",
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": list(SAML_ACTIONS),
                "Condition": condition,
            }
        ],
    }


def permissions_policy(
    account_id,
    tag_key,
    partition="aws",
    *,
    instance_tag=None,
    upn_suffix=None,
    document=RUN_SHELL_DOCUMENT,
):
    """EC2SSMPermissions: list in the console, start sessions with RunShell only when the
    caller carries the run-as tag, end or resume only one's own sessions."""
    instances = "arn:%s:ec2:*:%s:instance/*" % (partition, account_id)
    doc_arn = "arn:%s:ssm:*:%s:document/%s" % (partition, account_id, document)

    def start_if(**more):
        # Without a document in the request Session Manager checks the default one only if
        # asked; no run-as tag on the caller, no shell.
        return dict(
            BoolIfExists={"ssm:SessionDocumentAccessCheck": "true"},
            StringLike={"aws:PrincipalTag/%s" % tag_key: _run_as_values(upn_suffix)},
            **more,
        )

    listing = {
        "Sid": "ListInstancesAndSessions",
        "Effect": "Allow",
        "Action": [
            "ec2:DescribeInstances",
            "ssm:DescribeInstanceInformation",
            "ssm:DescribeInstanceProperties",
            "ssm:DescribeSessions",
            "ssm:GetConnectionStatus",
        ],
        "Resource": "*",
    }
    # A session's id is "<role session name>-<hex>", but Session Manager tags it with the
    # starter's "<role id>:<role session name>", which is ${aws:userid}.
    own_sessions = {
        "Sid": "EndOwnSessions",
        "Effect": "Allow",
        "Action": ["ssm:ResumeSession", "ssm:TerminateSession"],
        "Resource": "arn:%s:ssm:*:%s:session/*" % (partition, account_id),
        "Condition": {
            "StringEquals": {"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"}
        },
    }
    if not instance_tag:
        start = [
            {
                "Sid": "StartSessionWithRunShell",
                "Effect": "Allow",
                "Action": "ssm:StartSession",
                "Resource": [instances, doc_arn],
                "Condition": start_if(),
            }
        ]
    else:
        ((key, value),) = instance_tag.items()
        start = [
            {
                "Sid": "StartSessionOnTaggedInstances",
                "Effect": "Allow",
                "Action": "ssm:StartSession",
                "Resource": instances,
                "Condition": start_if(StringEquals={"ssm:resourceTag/%s" % key: value}),
            },
            {
                "Sid": "StartSessionWithRunShell",
                "Effect": "Allow",
                "Action": "ssm:StartSession",
                "Resource": doc_arn,
                "Condition": start_if(),
            },
        ]
    return {"Version": POLICY_VERSION, "Statement": [listing, *start, own_sessions]}


def preferences_with_defaults(prefs):
    """The preferences with the schema's defaults for what they leave out: a model arrives
    with them filled, role variables without a model get them here."""
    prefs = dict(prefs)
    if prefs.get("run_as_default_user") is None:
        prefs["run_as_default_user"] = schema_default("aws.session_preferences.run_as_default_user")
    profile = prefs.get("shell_profile")
    if profile is None or (isinstance(profile, dict) and profile.get("linux") is None):
        profile = {k: v for k, v in (profile or {}).items() if v is not None}
        profile["linux"] = schema_default("aws.session_preferences.shell_profile.linux")
        prefs["shell_profile"] = profile
    return prefs


def federation_plan(spec, labels=None):
    """Validate the AWS side's inputs and return everything the tasks need.

    ``labels`` names each key of ``spec`` in messages (the caller's own variable or model
    path; the key itself by default). ``saml_metadata`` is the metadata text, checked when
    it is given and state is present.
    """
    spec = plain(spec)

    def label(key):
        return (labels or {}).get(key, key)

    state = spec.get("state", "present")
    if state not in ("present", "absent"):
        fail(label("state"), state, "use 'present' or 'absent'")
    partition = spec.get("partition") or "aws"
    if not PARTITION_RE.match(partition):
        fail(label("partition"), partition, "use aws, aws-cn or aws-us-gov")
    account = validate_account_id(spec.get("account_id"), label("account_id"))
    provider_name = validate_provider_name(
        spec.get("saml_provider_name"), label("saml_provider_name")
    )
    tag_key = validate_session_tag_key(spec.get("tag_key"), label("tag_key"))
    upn_suffix = validate_upn_suffix(spec.get("upn_suffix"), label("upn_suffix"))
    audiences = validate_audiences(spec.get("saml_audiences"), label("saml_audiences"))
    allowed_keys = validate_allowed_tag_keys(
        spec.get("allowed_tag_keys"), tag_key, label("allowed_tag_keys")
    )
    policy_name = spec.get("policy_name")
    if not isinstance(policy_name, str) or not POLICY_NAME_RE.match(policy_name):
        fail(
            label("policy_name"),
            policy_name,
            "a managed policy name is 1-128 characters of letters, digits or +=,.@_-",
        )
    instance_tag = validate_instance_tag(spec.get("instance_tag"), label("instance_tag"))
    roles_in = spec.get("roles")
    if not isinstance(roles_in, list) or not roles_in:
        fail(
            label("roles"),
            roles_in,
            "list at least one role, e.g. [{name: ADFS-SSM-RunAs}]",
        )
    roles = [validate_role(r, i, label("roles")) for i, r in enumerate(roles_in)]
    names = [r["name"].lower() for r in roles]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        fail(
            label("roles"),
            dupes,
            "role names are case-insensitive in IAM and must be unique",
        )
    prefs = spec.get("session_preferences") or {}
    if not isinstance(prefs, dict):
        fail(
            label("session_preferences"),
            prefs,
            "give a mapping of session_preferences options",
        )
    prefs = preferences_with_defaults(prefs)
    try:
        wanted = ssm_preferences.desired_inputs(prefs)
        ssm_preferences.check_merged({"inputs": wanted})
    except ssm_preferences.PreferencesError as exc:
        raise FederationInputError("%s.%s" % (label("session_preferences"), exc)) from None
    metadata = spec.get("saml_metadata")
    if state == "present" and "saml_metadata" in spec:
        metadata = validate_saml_metadata(
            metadata, spec.get("saml_metadata_source") or label("saml_metadata")
        )
    provider = provider_arn(account, provider_name, partition)
    managed = policy_arn(account, policy_name, partition)
    trust = trust_policy(provider, audiences, tag_key, upn_suffix, allowed_keys)
    for role in roles:
        role["trust_policy"] = trust
        role["managed_policies"] = [managed, *[p for p in role["managed_policies"] if p != managed]]
    return {
        "state": state,
        "account_id": account,
        "saml_provider_name": provider_name,
        "saml_provider_arn": provider,
        "saml_metadata": metadata,
        "tag_key": tag_key,
        "policy_name": policy_name,
        "policy_arn": managed,
        "permissions_policy": permissions_policy(
            account, tag_key, partition, instance_tag=instance_tag, upn_suffix=upn_suffix
        ),
        "trust_policy": trust,
        "roles": roles,
        "session_preferences": prefs,
    }
