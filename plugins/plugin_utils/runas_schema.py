# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ssm_runas`` data model, declared once.

The declaration uses the shape of an Ansible argument spec (type, required, default, choices,
elements, options, description) so the same table generator documents it. Every default of
the model lives here and nowhere else; ``runas_model`` checks values against it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.federated.ssm_runas.plugins.module_utils.ssm_preferences import (
    DOCUMENT_NAME as RUN_SHELL_DOCUMENT,
)

DEFAULT_TAG_KEY = "SSMSessionRunAs"
# The LDAP attributes the run-as rule may send, and AWS's standard claim rules in AWS's order.
LDAP_ATTRIBUTES = ("userPrincipalName", "sAMAccountName", "mail")
STANDARD_RULES = ("NameId", "RoleSessionName", "Get AD Groups", "Roles")
SIGN_IN_AUDIENCE = "https://signin.aws.amazon.com/saml"
# runAsDefaultUser unless the model names one: resolves nowhere, so untagged sessions fail.
UNTAGGED_SESSION_USER = "ssm-runas-untagged-denied"
# shellProfile.linux unless the model says otherwise: the agent sets HOME but never changes
# directory, so without this a session starts in the agent's working directory (/usr/bin).
HOME_PROFILE = '[ -d "$HOME" ] && cd "$HOME"'

_SUDO = {
    "runas": {
        "type": "str",
        "default": "ALL",
        "description": "Whom the members may run commands as: V(ALL), V(ALL:ALL), V(root) or "
        "C(user:group).",
    },
    "nopasswd": {
        "type": "bool",
        "default": False,
        "description": "Whether members run these commands without their password.",
    },
    "commands": {
        "type": "list",
        "elements": "str",
        "required": True,
        "description": "Commands (a program name, an absolute path with arguments, V(ALL)) or "
        "names from O(command_aliases).",
    },
}

# What a session without a run-as tag gets: refused, or the named default user on purpose.
UNTAGGED_SESSIONS = ("refused", "run_as_default_user")

# The automation account's rules live in their own file: no aliases (defined once, elsewhere).
_AUTOMATION_SUDO = {
    "runas": dict(
        _SUDO["runas"],
        description="Whom the account may run commands as: V(ALL), V(ALL:ALL), V(root) or "
        "C(user:group).",
    ),
    "nopasswd": dict(
        _SUDO["nopasswd"],
        description="Whether it runs these commands without a password. It has none, so "
        "without this sudo always refuses it (Ansible's become needs V(true)).",
    ),
    "commands": dict(
        _SUDO["commands"],
        description="Commands: a program name, an absolute path with arguments, or V(ALL).",
    ),
}

_ROLE = {
    "name": {"type": "str", "required": True, "description": "IAM role name."},
    "path": {"type": "str", "default": "/", "description": "IAM path of the role."},
    "description": {
        "type": "str",
        "default": "Session Manager run-as for AD users federated through SAML",
        "description": "IAM description of the role.",
    },
    "max_session_duration": {
        "type": "int",
        "default": 3600,
        "description": "Seconds a federated session lasts (3600-43200).",
    },
    "permissions_boundary": {
        "type": "str",
        "description": "ARN of a managed policy used as the role's permissions boundary.",
    },
    "managed_policies": {
        "type": "list",
        "elements": "str",
        "default": [],
        "description": "ARNs of further managed policies attached to the role.",
    },
    "tags": {"type": "dict", "default": {}, "description": "IAM tags of the role."},
}

_PREFERENCES = {
    "run_as_enabled": {"type": "bool", "description": "Session Manager's run-as switch."},
    "run_as_default_user": {
        "type": "str",
        "default": UNTAGGED_SESSION_USER,
        "description": "User for sessions that carry no run-as tag. The default is a name that "
        "must not exist on any instance: the agent then refuses an untagged session instead of "
        "choosing an account (C(ssm-user), the agent's own, has passwordless sudo). Set a real "
        "user here only on purpose; it gets a shell for every untagged session.",
    },
    "idle_session_timeout": {"type": "int", "description": "Minutes (1-60)."},
    "max_session_duration": {"type": "int", "description": "Minutes (1-1440)."},
    "s3_bucket_name": {"type": "str", "description": "Bucket for session logs."},
    "s3_key_prefix": {"type": "str", "description": "Key prefix of session logs."},
    "s3_encryption_enabled": {"type": "bool", "description": "Require an encrypted bucket."},
    "cloudwatch_log_group_name": {"type": "str", "description": "Log group for session logs."},
    "cloudwatch_encryption_enabled": {
        "type": "bool",
        "description": "Require an encrypted log group.",
    },
    "cloudwatch_streaming_enabled": {"type": "bool", "description": "Stream session logs."},
    "kms_key_id": {"type": "str", "description": "KMS key that encrypts session data."},
    "shell_profile": {
        "type": "dict",
        "default": {},
        "options": {
            "linux": {
                "type": "str",
                "default": HOME_PROFILE,
                "description": "Typed into the Linux shell (C(sh)) at start, where the user sees "
                "it. The default moves the session into C($HOME) when that directory exists: the "
                "agent sets C(HOME=/home/<run-as name>) but starts the shell in its own working "
                "directory (C(/usr/bin)). Your own text replaces the default: begin it with the "
                "default's line to keep the move, or give V('') to type nothing.",
            },
            "windows": {"type": "str", "description": "Typed into a Windows shell at start."},
        },
        "description": "Commands typed into the shell when a session starts; a key left out "
        "keeps its stored value, except C(linux), which has a default.",
    },
}

SCHEMA = {
    "realm": {
        "type": "str",
        "required": True,
        "description": "The AD realm the instances join, e.g. V(EXAMPLE.TEST) (any case; "
        "stored upper case; its lower case is the DNS domain).",
    },
    "upn_suffix": {
        "type": "str",
        "description": "What follows C(@) in users' userPrincipalName. Default: the realm in "
        "lower case.",
    },
    "tag_key": {
        "type": "str",
        "default": DEFAULT_TAG_KEY,
        "description": "The session tag that carries the run-as user. Session Manager reads "
        "C(SSMSessionRunAs); no spaces (it becomes part of a claim type URI).",
    },
    "ldap_attribute": {
        "type": "str",
        "default": "userPrincipalName",
        "choices": list(LDAP_ATTRIBUTES),
        "description": "The AD attribute ADFS sends as the run-as tag value.",
    },
    "fully_qualified_names": {
        "type": "bool",
        "default": True,
        "description": "Whether instances resolve C(user@domain) names (required for "
        "userPrincipalName tags).",
    },
    "command_aliases": {
        "type": "dict",
        "default": {},
        "description": "Sudo command aliases: C(NAME: [commands]), names in upper case.",
    },
    "groups": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "description": "AD groups whose members may start run-as sessions, in sudo order: "
        "sudo applies the last rule that matches, so declare broad rules first.",
        "options": {
            "name": {"type": "str", "required": True, "description": "AD group name."},
            "sudo": {
                "type": "dict",
                "options": _SUDO,
                "description": "The sudo rights of the group's members; none when omitted.",
            },
        },
    },
    "aws": {
        "type": "dict",
        "default": {},
        "description": "The AWS account: IAM federation and Session Manager preferences.",
        "options": {
            "account_id": {
                "type": "str",
                "description": "12-digit account id (quote it in YAML). Required for the AWS side.",
            },
            "partition": {"type": "str", "default": "aws", "description": "ARN partition."},
            "region": {
                "type": "str",
                "description": "Region of the Session Manager preferences.",
            },
            "saml_provider": {
                "type": "str",
                "default": "ADFS",
                "description": "Name of the IAM SAML provider.",
            },
            "saml_audiences": {
                "type": "list",
                "elements": "str",
                "default": [SIGN_IN_AUDIENCE],
                "description": "Sign-in endpoints accepted as C(SAML:aud).",
            },
            "allowed_tag_keys": {
                "type": "list",
                "elements": "str",
                "default": [],
                "description": "Session tag keys the trust policy accepts besides the run-as "
                "key. Default none: a sign-in that carries any other tag is refused.",
            },
            "federation_roles": {
                "type": "list",
                "elements": "dict",
                "options": _ROLE,
                "description": "The roles federated users assume. Required for the AWS side.",
            },
            "policy_name": {
                "type": "str",
                "default": "EC2SSMPermissions",
                "description": "Name of the managed policy that lets them start sessions.",
            },
            "instance_tag": {
                "type": "dict",
                "default": {},
                "description": "One C(key: value) instance tag that limits which instances "
                "sessions may reach.",
            },
            "session_preferences": {
                "type": "dict",
                "default": {},
                "options": _PREFERENCES,
                "description": "Session Manager preferences (the C(%s) document); "
                "options left out keep their stored values, except C(run_as_default_user) and "
                "C(shell_profile.linux), which have defaults." % RUN_SHELL_DOCUMENT,
            },
        },
    },
    "adfs": {
        "type": "dict",
        "default": {},
        "description": "The ADFS side: the claim rule on the AWS relying party trust.",
        "options": {
            "mode": {
                "type": "str",
                "default": "winrm",
                "choices": ["winrm", "export"],
                "description": "V(winrm) changes the ADFS server; V(export) writes a script.",
            },
            "relying_party": {
                "type": "str",
                "default": "Amazon Web Services",
                "description": "Name of the AWS relying party trust.",
            },
            "rule_name": {
                "type": "str",
                "description": "Name of the run-as claim rule. Default: O(tag_key).",
            },
            "standard_rules": {
                "type": "list",
                "elements": "str",
                "default": [],
                "choices": list(STANDARD_RULES),
                "description": "Standard AWS claim rules to manage as well.",
            },
        },
    },
    "untagged_sessions": {
        "type": "str",
        "default": UNTAGGED_SESSIONS[0],
        "choices": list(UNTAGGED_SESSIONS),
        "description": "What a Session Manager session without a run-as tag gets. V(refused): "
        "C(aws.session_preferences.run_as_default_user) must resolve on no instance, so the "
        "agent refuses the session; the Linux side stops before run-as is switched on where it "
        "resolves, and the report checks every instance. V(run_as_default_user): that name is "
        "a real account on purpose; the report shows what it may do (C(sudo -l)).",
    },
    "automation": {
        "type": "dict",
        "description": "The local account automation (Ansible over the C(aws_ssm) connection) "
        "starts its sessions as once run-as is on: its IAM principals carry the run-as tag "
        "with this account's name, and every instance has the account with exactly these "
        "rights before run-as is switched on. None when omitted.",
        "options": {
            "user": {
                "type": "str",
                "required": True,
                "description": "Local account name (lower-case letters, digits, C(_), C(-)); "
                "a system user with a home at C(/home/<user>) and no password.",
            },
            "sudo": {
                "type": "dict",
                "options": _AUTOMATION_SUDO,
                "description": "Its sudo rights, exactly; none when omitted.",
            },
            "shell": {
                "type": "str",
                "default": "/bin/bash",
                "description": "Its login shell.",
            },
            "iam_principals": {
                "type": "list",
                "elements": "str",
                "default": [],
                "description": "ARNs of the IAM roles and users automation signs in as, in "
                "O(aws.account_id); each carries the tag C(<tag_key>=<user>).",
            },
        },
    },
}


def schema_default(path, fallback=None):
    """The schema's default for a dotted path such as ``aws.policy_name``, else ``fallback``."""
    spec = {"options": SCHEMA}
    for key in path.split("."):
        spec = (spec.get("options") or {}).get(key)
        if spec is None:
            return fallback
    return spec.get("default", fallback)
