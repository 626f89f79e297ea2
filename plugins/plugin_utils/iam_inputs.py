# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the AWS side's inputs: each raises FederationInputError naming the caller's
label for the value, the value and the fix."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import unicodedata
import xml.etree.ElementTree as ET

from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_schema import schema_default

MIN_SESSION_SECONDS = 3600
MAX_SESSION_SECONDS = 43200
# botocore's model for CreateSAMLProvider: SAMLMetadataDocument is 1000..10000000 characters.
METADATA_MIN = 1000
METADATA_MAX = 10000000
MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"

_ACCOUNT_RE = re.compile(r"^\d{12}$")
_PROVIDER_RE = re.compile(r"^[\w._-]{1,128}$")
_ROLE_NAME_RE = re.compile(r"^[\w+=,.@-]{1,64}$")
POLICY_NAME_RE = re.compile(r"^[\w+=,.@-]{1,128}$")
_PATH_RE = re.compile(r"^/([\x21-\x7e]*/)?$")
PARTITION_RE = re.compile(r"^aws(-[a-z]+)*$")
_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)
_POLICY_ARN_RE = re.compile(r"^arn:aws(-[a-z]+)*:iam::(\d{12}|aws):policy/[\w+=,.@/-]+$")
_TAG_EXTRA = set("_.:/=+-@")


class FederationInputError(ValueError):
    """Bad federation data: the message names the variable, the value and the fix."""


def fail(var, value, fix):
    raise FederationInputError("%s %r: %s" % (var, value, fix))


def _tag_chars_ok(text):
    """STS tag character class [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]."""
    for char in text:
        if char in _TAG_EXTRA:
            continue
        if unicodedata.category(char)[0] not in ("L", "Z", "N"):
            return False
    return True


def validate_account_id(value, var="account_id"):
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _ACCOUNT_RE.match(text):
        fail(
            var,
            value,
            "an AWS account id is exactly 12 digits, quoted in YAML "
            "(e.g. '012345678901') so leading zeros survive",
        )
    return text


def validate_provider_name(value, var="saml_provider_name"):
    if not isinstance(value, str) or not _PROVIDER_RE.match(value):
        fail(
            var,
            value,
            "a SAML provider name is 1-128 characters of letters, digits, "
            "'_', '.' or '-' (e.g. 'ADFS')",
        )
    return value


def validate_tag_key(value, var="tag_key"):
    if not isinstance(value, str) or not 1 <= len(value) <= 128 or not _tag_chars_ok(value):
        fail(
            var,
            value,
            "a session tag key is 1-128 letters, digits, spaces or _.:/=+-@ "
            "(e.g. 'SSMSessionRunAs')",
        )
    if value.lower().startswith("aws:"):
        fail(var, value, "the 'aws:' prefix is reserved by AWS; drop it")
    return value


def validate_session_tag_key(value, var="tag_key"):
    """A session tag key that ADFS can send as well: the STS rule, without spaces.

    ADFS issues the tag as the claim type ``.../PrincipalTag:<key>``, a URI, which cannot
    hold whitespace. Used for the run-as key and every other session tag key we accept.
    """
    if not isinstance(value, str) or not value:
        fail(var, value, "set it to the session tag key, e.g. 'SSMSessionRunAs'")
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
        fail(var, value, "the 'aws:' prefix is reserved by AWS; drop it")
    return value


def validate_upn_suffix(value, var="upn_suffix"):
    """Return the suffix as '@domain' (None/'' disables the check)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        fail(var, value, "give the AD UPN suffix as a string, e.g. 'example.test'")
    domain = value[1:] if value.startswith("@") else value
    if not _DOMAIN_RE.match(domain):
        fail(
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
        fail(
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
            fail(
                "%s[%d]" % (var, index),
                aud,
                "an audience is an https:// sign-in URL without wildcards, e.g. "
                "'https://signin.aws.amazon.com/saml'",
            )
    return list(dict.fromkeys(value))


def validate_allowed_tag_keys(value, tag_key, var="allowed_tag_keys"):
    """The session tag keys a sign-in may carry: the run-as key first, then the declared ones.

    None or [] means the run-as key alone; the list is never empty, so the trust policy
    always limits ``aws:TagKeys``.
    """
    if value in (None, []):
        value = []
    if not isinstance(value, list):
        fail(var, value, "give a list of session tag keys, e.g. ['Department']")
    keys = [validate_session_tag_key(k, "%s[%d]" % (var, i)) for i, k in enumerate(value)]
    return list(dict.fromkeys([tag_key, *keys]))


def validate_saml_metadata(text, var="saml_metadata"):
    """SAML 2.0 IdP metadata: an EntityDescriptor with an IDPSSODescriptor and a certificate."""
    if not isinstance(text, str) or not text.strip():
        fail(
            var,
            "<empty>",
            "point it at the IdP's FederationMetadata.xml (ADFS: "
            "https://<adfs>/FederationMetadata/2007-06/FederationMetadata.xml)",
        )
    shown = text.strip()[:40] + ("..." if len(text.strip()) > 40 else "")
    if not METADATA_MIN <= len(text) <= METADATA_MAX:
        fail(
            var,
            shown,
            "SAML metadata must be %d..%d characters, this is %d; use the "
            "IdP's full FederationMetadata.xml" % (METADATA_MIN, METADATA_MAX, len(text)),
        )
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        fail(var, shown, "SAML metadata must not contain a DOCTYPE or entities")
    try:
        root = ET.fromstring(text.strip())  # noqa: S314 - DOCTYPE/entities refused above
    except ET.ParseError as exc:
        fail(var, shown, "not well-formed XML (%s); download the metadata again" % exc)
    if root.tag != "{%s}EntityDescriptor" % MD_NS:
        fail(
            var,
            shown,
            "the root element must be md:EntityDescriptor (SAML 2.0 metadata), not %s" % root.tag,
        )
    idp = root.find("{%s}IDPSSODescriptor" % MD_NS)
    if idp is None:
        fail(
            var,
            shown,
            "no IDPSSODescriptor: this is not an identity provider's metadata "
            "(did you download the relying party's?)",
        )
    if not any(el.tag.endswith("}X509Certificate") for el in idp.iter()):
        fail(var, shown, "the IDPSSODescriptor has no X509Certificate to verify assertions")
    return text


def validate_instance_tag(value, var="instance_tag"):
    if value in (None, {}):
        return None
    if not isinstance(value, dict) or len(value) != 1:
        fail(var, value, "give exactly one tag as a mapping, e.g. {SessionManager: enabled}")
    ((key, tag_value),) = value.items()
    validate_tag_key(key, var + " key")
    if not isinstance(tag_value, str) or not _tag_chars_ok(tag_value) or len(tag_value) > 256:
        fail(
            var + "." + key,
            tag_value,
            "a tag value is a string of up to 256 letters, digits, spaces or _.:/=+-@",
        )
    return {key: tag_value}


def _validate_tags(value, var):
    if value in (None, {}):
        return {}
    if not isinstance(value, dict):
        fail(var, value, "give tags as a mapping of key: value")
    for key, tag_value in value.items():
        validate_tag_key(key, var + " key")
        if not isinstance(tag_value, str) or len(tag_value) > 256:
            fail(
                "%s.%s" % (var, key),
                tag_value,
                "IAM tag values are strings up to 256 characters; quote numbers and booleans",
            )
    return dict(value)


def _role_default(key):
    return schema_default("aws.federation_roles." + key)


def validate_role(role, index, var="roles"):
    where = "%s[%d]" % (var, index)
    if not isinstance(role, dict):
        fail(where, role, "each role is a mapping with at least 'name'")
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
        fail(where, unknown, "unknown keys; allowed: %s" % ", ".join(sorted(known)))
    name = role.get("name")
    if not isinstance(name, str) or not _ROLE_NAME_RE.match(name):
        fail(
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
        fail(
            where + ".max_session_duration",
            duration,
            "seconds between %d and %d" % (MIN_SESSION_SECONDS, MAX_SESSION_SECONDS),
        )
    boundary = role.get("permissions_boundary")
    if boundary is not None and not (isinstance(boundary, str) and _POLICY_ARN_RE.match(boundary)):
        fail(
            where + ".permissions_boundary",
            boundary,
            "give a managed policy ARN, e.g. arn:aws:iam::012345678901:policy/Boundary",
        )
    extra = role.get("managed_policies") or []
    if not isinstance(extra, list) or not all(
        isinstance(p, str) and _POLICY_ARN_RE.match(p) for p in extra
    ):
        fail(where + ".managed_policies", extra, "give a list of managed policy ARNs")
    path = role.get("path", _role_default("path"))
    if not isinstance(path, str) or not _PATH_RE.match(path):
        fail(where + ".path", path, "an IAM path starts and ends with '/', e.g. /federated/")
    return {
        "name": name,
        "path": path,
        "description": role.get("description") or _role_default("description"),
        "max_session_duration": duration,
        "permissions_boundary": boundary,
        "tags": _validate_tags(role.get("tags"), where + ".tags"),
        "managed_policies": list(extra),
    }


def plain(value):
    """A plain copy of mappings and sequences.

    Filter arguments arrive as Ansible's lazy template containers, which reference the templar;
    copy.deepcopy on them also copies the plugin loaders (and breaks them).
    """
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
