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

import re
import unicodedata
import xml.etree.ElementTree as ET

from ansible_collections.federated.ssm_runas.plugins.module_utils import ssm_preferences
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_schema import schema_default

POLICY_VERSION = "2012-10-17"
RUN_SHELL_DOCUMENT = ssm_preferences.DOCUMENT_NAME
SAML_ACTIONS = ["sts:AssumeRoleWithSAML", "sts:TagSession"]
MIN_SESSION_SECONDS = 3600
MAX_SESSION_SECONDS = 43200
# botocore's model for CreateSAMLProvider: SAMLMetadataDocument is 1000..10000000 characters.
METADATA_MIN = 1000
METADATA_MAX = 10000000
MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"

_ACCOUNT_RE = re.compile(r"^\d{12}$")
_PROVIDER_RE = re.compile(r"^[\w._-]{1,128}$")
_ROLE_NAME_RE = re.compile(r"^[\w+=,.@-]{1,64}$")
_POLICY_NAME_RE = re.compile(r"^[\w+=,.@-]{1,128}$")
_PATH_RE = re.compile(r"^/([\x21-\x7e]*/)?$")
_PARTITION_RE = re.compile(r"^aws(-[a-z]+)*$")
_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)
_POLICY_ARN_RE = re.compile(r"^arn:aws(-[a-z]+)*:iam::(\d{12}|aws):policy/[\w+=,.@/-]+$")
_TAG_EXTRA = set("_.:/=+-@")


class FederationInputError(ValueError):
    """Bad federation data: the message names the variable, the value and the fix."""


def _fail(var, value, fix):
    raise FederationInputError("%s %r: %s" % (var, value, fix))


def _tag_chars_ok(text):
    """STS tag character class [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@] (FACTS §6)."""
    for char in text:
        if char in _TAG_EXTRA:
            continue
        if unicodedata.category(char)[0] not in ("L", "Z", "N"):
            return False
    return True


def validate_account_id(value, var="account_id"):
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _ACCOUNT_RE.match(text):
        _fail(
            var,
            value,
            "an AWS account id is exactly 12 digits, quoted in YAML "
            "(e.g. '012345678901') so leading zeros survive",
        )
    return text


def validate_provider_name(value, var="saml_provider_name"):
    if not isinstance(value, str) or not _PROVIDER_RE.match(value):
        _fail(
            var,
            value,
            "a SAML provider name is 1-128 characters of letters, digits, "
            "'_', '.' or '-' (e.g. 'ADFS')",
        )
    return value


def validate_tag_key(value, var="tag_key"):
    if not isinstance(value, str) or not 1 <= len(value) <= 128 or not _tag_chars_ok(value):
        _fail(
            var,
            value,
            "a session tag key is 1-128 letters, digits, spaces or _.:/=+-@ "
            "(e.g. 'SSMSessionRunAs')",
        )
    if value.lower().startswith("aws:"):
        _fail(var, value, "the 'aws:' prefix is reserved by AWS; drop it")
    return value


def validate_session_tag_key(value, var="tag_key"):
    """A session tag key that ADFS can send as well: the STS rule, without spaces.

    ADFS issues the tag as the claim type ``.../PrincipalTag:<key>``, a URI, which cannot
    hold whitespace. Used for the run-as key and every other session tag key we accept.
    """
    if not isinstance(value, str) or not value:
        _fail(var, value, "set it to the session tag key, e.g. 'SSMSessionRunAs'")
    bad = sorted({c for c in value if unicodedata.category(c)[0] not in ("L", "N")} - _TAG_EXTRA)
    if bad:
        raise FederationInputError(
            "%s %r contains %s: a session tag key may hold only letters, digits and _.:/=+-@ "
            "(the STS rule, without spaces: ADFS sends the key inside the claim type URI), "
            "e.g. 'SSMSessionRunAs'" % (var, value, ", ".join(repr(c) for c in bad))
        )
    if len(value) > 128:
        raise FederationInputError(
            "%s %r is %d characters long: STS allows at most 128" % (var, value, len(value))
        )
    if value.lower().startswith("aws:"):
        _fail(var, value, "the 'aws:' prefix is reserved by AWS; drop it")
    return value


def validate_upn_suffix(value, var="upn_suffix"):
    """Return the suffix as '@domain' (None/'' disables the check)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        _fail(var, value, "give the AD UPN suffix as a string, e.g. 'example.test'")
    domain = value[1:] if value.startswith("@") else value
    if not _DOMAIN_RE.match(domain):
        _fail(
            var,
            value,
            "give the AD UPN suffix as a DNS domain without wildcards, "
            "e.g. 'corp.example.org' (a leading '@' is optional)",
        )
    return "@" + domain


def validate_audiences(value, var="saml_audiences"):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        _fail(
            var,
            value,
            "list at least one sign-in endpoint, e.g. ['https://signin.aws.amazon.com/saml']",
        )
    for index, aud in enumerate(value):
        if (
            not isinstance(aud, str)
            or not aud.startswith("https://")
            or any(c in aud for c in "*? ")
        ):
            _fail(
                "%s[%d]" % (var, index),
                aud,
                "an audience is an https:// sign-in URL without wildcards, e.g. "
                "'https://signin.aws.amazon.com/saml'",
            )
    return list(dict.fromkeys(value))


def validate_allowed_tag_keys(value, tag_key, var="allowed_tag_keys"):
    """None/[] means 'do not restrict'; otherwise the run-as key is always allowed."""
    if value in (None, []):
        return None
    if not isinstance(value, list):
        _fail(var, value, "give a list of session tag keys, e.g. ['SSMSessionRunAs']")
    keys = [validate_session_tag_key(k, "%s[%d]" % (var, i)) for i, k in enumerate(value)]
    if tag_key not in keys:
        keys.insert(0, tag_key)
    return list(dict.fromkeys(keys))


def validate_saml_metadata(text, var="saml_metadata"):
    """SAML 2.0 IdP metadata: an EntityDescriptor with an IDPSSODescriptor and a certificate."""
    if not isinstance(text, str) or not text.strip():
        _fail(
            var,
            "<empty>",
            "point it at the IdP's FederationMetadata.xml (ADFS: "
            "https://<adfs>/FederationMetadata/2007-06/FederationMetadata.xml)",
        )
    shown = text.strip()[:40] + ("..." if len(text.strip()) > 40 else "")
    if not METADATA_MIN <= len(text) <= METADATA_MAX:
        _fail(
            var,
            shown,
            "SAML metadata must be %d..%d characters, this is %d; use the "
            "IdP's full FederationMetadata.xml" % (METADATA_MIN, METADATA_MAX, len(text)),
        )
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        _fail(var, shown, "SAML metadata must not contain a DOCTYPE or entities")
    try:
        root = ET.fromstring(text.strip())  # noqa: S314 - DOCTYPE/entities refused above
    except ET.ParseError as exc:
        _fail(var, shown, "not well-formed XML (%s); download the metadata again" % exc)
    if root.tag != "{%s}EntityDescriptor" % MD_NS:
        _fail(
            var,
            shown,
            "the root element must be md:EntityDescriptor (SAML 2.0 metadata), not %s" % root.tag,
        )
    idp = root.find("{%s}IDPSSODescriptor" % MD_NS)
    if idp is None:
        _fail(
            var,
            shown,
            "no IDPSSODescriptor: this is not an identity provider's metadata "
            "(did you download the relying party's?)",
        )
    if not any(el.tag.endswith("}X509Certificate") for el in idp.iter()):
        _fail(var, shown, "the IDPSSODescriptor has no X509Certificate to verify assertions")
    return text


def provider_arn(account_id, name, partition="aws"):
    return "arn:%s:iam::%s:saml-provider/%s" % (partition, account_id, name)


def policy_arn(account_id, name, partition="aws", path="/"):
    return "arn:%s:iam::%s:policy%s%s" % (partition, account_id, path, name)


def trust_policy(provider, audiences, tag_key, upn_suffix=None, allowed_tag_keys=None):
    """Who may assume the role: the SAML provider, with a right audience and a run-as tag.

    The tag must be present and non-empty ("?*": StringLike "*" also matches ""), and with
    ``upn_suffix`` must end in it, so nobody can be tagged ``root`` or ``ec2-user``.
    """
    condition = {
        "StringEquals": {"SAML:aud": list(audiences)},
        "StringLike": {"aws:RequestTag/%s" % tag_key: ["?*" + (upn_suffix or "")]},
    }
    if allowed_tag_keys:
        condition["ForAllValues:StringEquals"] = {"aws:TagKeys": list(allowed_tag_keys)}
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


def permissions_policy(account_id, partition="aws", instance_tag=None, document=RUN_SHELL_DOCUMENT):
    """EC2SSMPermissions: list in the console, start sessions with RunShell, end one's own."""
    instances = "arn:%s:ec2:*:%s:instance/*" % (partition, account_id)
    doc_arn = "arn:%s:ssm:*:%s:document/%s" % (partition, account_id, document)
    # Without a document in the request Session Manager checks the default one only if asked.
    doc_check = {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
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
    own_sessions = {
        "Sid": "EndOwnSessions",
        "Effect": "Allow",
        "Action": ["ssm:ResumeSession", "ssm:TerminateSession"],
        "Resource": "arn:%s:ssm:*:%s:session/${aws:userid}-*" % (partition, account_id),
    }
    if not instance_tag:
        start = [
            {
                "Sid": "StartSessionWithRunShell",
                "Effect": "Allow",
                "Action": "ssm:StartSession",
                "Resource": [instances, doc_arn],
                "Condition": doc_check,
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
                "Condition": dict(doc_check, StringEquals={"ssm:resourceTag/%s" % key: value}),
            },
            {
                "Sid": "StartSessionWithRunShell",
                "Effect": "Allow",
                "Action": "ssm:StartSession",
                "Resource": doc_arn,
                "Condition": doc_check,
            },
        ]
    return {"Version": POLICY_VERSION, "Statement": [listing, *start, own_sessions]}


def _validate_instance_tag(value, var="instance_tag"):
    if value in (None, {}):
        return None
    if not isinstance(value, dict) or len(value) != 1:
        _fail(var, value, "give exactly one tag as a mapping, e.g. {SessionManager: enabled}")
    ((key, tag_value),) = value.items()
    validate_tag_key(key, var + " key")
    if not isinstance(tag_value, str) or not _tag_chars_ok(tag_value) or len(tag_value) > 256:
        _fail(
            var + "." + key,
            tag_value,
            "a tag value is a string of up to 256 letters, digits, spaces or _.:/=+-@",
        )
    return {key: tag_value}


def _validate_tags(value, var):
    if value in (None, {}):
        return {}
    if not isinstance(value, dict):
        _fail(var, value, "give tags as a mapping of key: value")
    for key, tag_value in value.items():
        validate_tag_key(key, var + " key")
        if not isinstance(tag_value, str) or len(tag_value) > 256:
            _fail(
                "%s.%s" % (var, key),
                tag_value,
                "IAM tag values are strings up to 256 characters; quote numbers and booleans",
            )
    return dict(value)


def _role_default(key):
    return schema_default("aws.federation_roles." + key)


def _validate_role(role, index, var="roles"):
    where = "%s[%d]" % (var, index)
    if not isinstance(role, dict):
        _fail(where, role, "each role is a mapping with at least 'name'")
    known = {
        "name",
        "description",
        "max_session_duration",
        "permissions_boundary",
        "tags",
        "managed_policies",
        "path",
    }
    unknown = sorted(set(role) - known)
    if unknown:
        _fail(where, unknown, "unknown keys; allowed: %s" % ", ".join(sorted(known)))
    name = role.get("name")
    if not isinstance(name, str) or not _ROLE_NAME_RE.match(name):
        _fail(
            where + ".name",
            name,
            "an IAM role name is 1-64 characters of letters, digits or +=,.@_-",
        )
    duration = role.get("max_session_duration", _role_default("max_session_duration"))
    if (
        isinstance(duration, bool)
        or not isinstance(duration, int)
        or not (MIN_SESSION_SECONDS <= duration <= MAX_SESSION_SECONDS)
    ):
        _fail(
            where + ".max_session_duration",
            duration,
            "seconds between %d and %d" % (MIN_SESSION_SECONDS, MAX_SESSION_SECONDS),
        )
    boundary = role.get("permissions_boundary")
    if boundary is not None and not (isinstance(boundary, str) and _POLICY_ARN_RE.match(boundary)):
        _fail(
            where + ".permissions_boundary",
            boundary,
            "give a managed policy ARN, e.g. arn:aws:iam::012345678901:policy/Boundary",
        )
    extra = role.get("managed_policies") or []
    if not isinstance(extra, list) or not all(
        isinstance(p, str) and _POLICY_ARN_RE.match(p) for p in extra
    ):
        _fail(where + ".managed_policies", extra, "give a list of managed policy ARNs")
    path = role.get("path", _role_default("path"))
    if not isinstance(path, str) or not _PATH_RE.match(path):
        _fail(where + ".path", path, "an IAM path starts and ends with '/', e.g. /federated/")
    return {
        "name": name,
        "path": path,
        "description": role.get("description") or _role_default("description"),
        "max_session_duration": duration,
        "permissions_boundary": boundary,
        "tags": _validate_tags(role.get("tags"), where + ".tags"),
        "managed_policies": list(extra),
    }


def _plain(value):
    """A plain copy of mappings and sequences.

    Filter arguments arrive as Ansible's lazy template containers, which reference the templar;
    copy.deepcopy on them also copies the plugin loaders (and breaks them).
    """
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def federation_plan(spec, labels=None):
    """Validate the AWS side's inputs and return everything the tasks need.

    ``labels`` names each key of ``spec`` in messages (the caller's own variable or model
    path; the key itself by default). ``saml_metadata`` is the metadata text, checked when
    it is given and state is present.
    """
    spec = _plain(spec)

    def label(key):
        return (labels or {}).get(key, key)

    state = spec.get("state", "present")
    if state not in ("present", "absent"):
        _fail(label("state"), state, "use 'present' or 'absent'")
    partition = spec.get("partition") or "aws"
    if not _PARTITION_RE.match(partition):
        _fail(label("partition"), partition, "use aws, aws-cn or aws-us-gov")
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
    if not isinstance(policy_name, str) or not _POLICY_NAME_RE.match(policy_name):
        _fail(
            label("policy_name"),
            policy_name,
            "a managed policy name is 1-128 characters of letters, digits or +=,.@_-",
        )
    instance_tag = _validate_instance_tag(spec.get("instance_tag"), label("instance_tag"))
    roles_in = spec.get("roles")
    if not isinstance(roles_in, list) or not roles_in:
        _fail(
            label("roles"),
            roles_in,
            "list at least one role, e.g. [{name: ADFS-SSM-RunAs}]",
        )
    roles = [_validate_role(r, i, label("roles")) for i, r in enumerate(roles_in)]
    names = [r["name"].lower() for r in roles]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        _fail(
            label("roles"),
            dupes,
            "role names are case-insensitive in IAM and must be unique",
        )
    prefs = spec.get("session_preferences") or {}
    if not isinstance(prefs, dict):
        _fail(
            label("session_preferences"),
            prefs,
            "give a mapping of session_preferences options",
        )
    try:
        wanted = ssm_preferences.desired_inputs(prefs)
        if "runAsDefaultUser" in wanted:  # else the stored document may already name one
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
        "permissions_policy": permissions_policy(account, partition, instance_tag),
        "trust_policy": trust,
        "roles": roles,
    }
