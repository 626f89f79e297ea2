# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the ``ssm_runas`` data model once, with the rules every side applies.

:func:`check` validates a model against :data:`runas_schema.SCHEMA` (types, choices, required
keys, unknown keys with the nearest known one), fills the defaults, then runs the AWS, ADFS and
sudoers checks on the values those sides will receive, labelled with the path the user wrote.
A model it accepts is accepted by every side. :func:`role_inputs` hands the checked values to
a role under the names the role gives it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import json

from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.federated.ssm_runas.plugins.module_utils import sudoers
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import (
    adfs_rules,
    iam_documents,
    runas_accounts,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_schema import (
    SCHEMA,
    schema_default,
)

ROOT = "ssm_runas"
_MISSING = object()
_TYPE_NAMES = {
    "str": "a string",
    "int": "a whole number",
    "bool": "true or false",
    "list": "a list",
    "dict": "a mapping",
}


class ModelError(ValueError):
    """Every problem of a model, one message each, naming the path, the value and the fix."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(ModelError, self).__init__("\n".join(self.errors))


def _quote(value):
    return json.dumps(value, ensure_ascii=False, default=str)


def _plain(value):
    """Plain dicts and lists (Ansible hands filters lazy containers)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _as_int(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise TypeError


def _as_bool(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return boolean(value, strict=True)
    raise TypeError


def _of(kind):
    def accept(value):
        if not isinstance(value, kind):
            raise TypeError
        return value

    return accept


_CONVERT = {
    "str": _of(str),
    "int": _as_int,
    "bool": _as_bool,
    "list": _of(list),
    "dict": _of(dict),
    "raw": lambda value: value,
}


def _coerce(kind, value):
    """Return (value, None) or (None, problem) for one scalar or container type."""
    try:
        return _CONVERT[kind](value), None
    except TypeError:
        hint = ""
        if kind == "str" and isinstance(value, (int, float, bool)):
            hint = "; quote it in YAML"
        return None, "must be %s%s" % (_TYPE_NAMES[kind], hint)


class _Checker:
    def __init__(self):
        self.errors = []

    def fail(self, path, value, problem):
        if value is _MISSING:
            self.errors.append("%s %s" % (path, problem))
        else:
            self.errors.append("%s %s %s" % (path, _quote(value), problem))

    def options(self, path, spec, value):
        """Check a mapping against its options; return it with defaults filled in."""
        out = {}
        for key in value:
            if key not in spec:
                near = difflib.get_close_matches(str(key), list(spec), n=1, cutoff=0.6)
                fix = ("did you mean %s? " % near[0]) if near else ""
                self.fail(
                    "%s.%s" % (path, key),
                    _MISSING,
                    "is not a known key: %sknown keys are %s" % (fix, ", ".join(sorted(spec))),
                )
        for key, option in spec.items():
            out[key] = self.value("%s.%s" % (path, key), option, value.get(key, _MISSING))
        return out

    def missing(self, path, option):
        """The default of an option nobody set (nested defaults filled), or a 'required' error."""
        if option.get("required"):
            self.fail(path, _MISSING, "is required: %s" % _first_line(option))
            return None
        default = _plain(option.get("default"))
        if default is not None and option.get("type") == "dict" and option.get("options"):
            return self.options(path, option["options"], default)
        return default

    def value(self, path, option, value):
        if value is _MISSING or value is None or (value == "" and option.get("required")):
            return self.missing(path, option)
        given = value
        value, problem = _coerce(option.get("type", "raw"), value)
        if problem:
            self.fail(path, given, problem)
            return None
        choices = option.get("choices")
        if option.get("type") == "list":
            if option.get("required") and not value:
                self.fail(path, value, "must not be empty: %s" % _first_line(option))
            item = {"type": option.get("elements", "raw"), "options": option.get("options")}
            item["choices"] = choices
            return [self.value("%s[%d]" % (path, i), item, v) for i, v in enumerate(value)]
        if choices is not None and value not in choices:
            self.fail(path, value, "must be one of %s" % ", ".join(map(str, choices)))
            return None
        if option.get("type") == "dict" and option.get("options"):
            return self.options(path, option["options"], value)
        return value


def _without_none(value):
    """Mappings without the keys nobody set (as role variables would be written)."""
    if isinstance(value, dict):
        return dict((k, _without_none(v)) for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def _first_line(option):
    return option.get("description", "").split(". ")[0].rstrip(".")


def _catch(errors, func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except (iam_documents.FederationInputError, adfs_rules.AdfsRuleError) as exc:
        errors.append(str(exc))
    except sudoers.SudoersError as exc:
        errors.extend(exc.errors)
    return None


def aws_plan_input(model):
    """The AWS side's input (the keys of ``iam_documents.federation_plan``)."""
    aws = model["aws"]
    return {
        "account_id": aws["account_id"],
        "partition": aws["partition"],
        "saml_provider_name": aws["saml_provider"],
        "tag_key": model["tag_key"],
        "upn_suffix": model["tag_suffix"],
        "allowed_tag_keys": aws["allowed_tag_keys"],
        "saml_audiences": aws["saml_audiences"],
        "policy_name": aws["policy_name"],
        "instance_tag": aws["instance_tag"],
        "roles": aws["federation_roles"],
        "session_preferences": {
            k: v for k, v in (aws["session_preferences"] or {}).items() if v is not None
        },
    }


AWS_LABELS = {
    "account_id": "aws.account_id",
    "partition": "aws.partition",
    "saml_provider_name": "aws.saml_provider",
    "tag_key": "tag_key",
    "upn_suffix": "upn_suffix",
    "allowed_tag_keys": "aws.allowed_tag_keys",
    "saml_audiences": "aws.saml_audiences",
    "policy_name": "aws.policy_name",
    "instance_tag": "aws.instance_tag",
    "roles": "aws.federation_roles",
    "session_preferences": "aws.session_preferences",
}


def _sides(model, errors):
    """Run each side's own checks on what it will receive, labelled with model paths."""
    labels = dict((key, "%s.%s" % (ROOT, path)) for key, path in AWS_LABELS.items())
    if model["aws"]["account_id"] is not None or model["aws"]["federation_roles"]:
        _catch(errors, iam_documents.federation_plan, aws_plan_input(model), labels=labels)
    else:
        _catch(errors, iam_documents.validate_session_tag_key, model["tag_key"], labels["tag_key"])
    adfs = model["adfs"]
    _catch(errors, adfs_rules.check_tag_key, model["tag_key"], ROOT + ".tag_key")
    _catch(errors, adfs_rules.check_rule_name, adfs["rule_name"], ROOT + ".adfs.rule_name")
    _catch(
        errors, adfs_rules.check_relying_party, adfs["relying_party"], ROOT + ".adfs.relying_party"
    )
    sudo_labels = dict(sudoers.labels_for(""))
    sudo_labels.update(
        domain=ROOT + ".realm",
        fully_qualified=ROOT + ".fully_qualified_names",
        command_aliases=ROOT + ".command_aliases",
        rules="\0",
    )
    settings = {
        "command_aliases": model["command_aliases"],
        "domain": model["domain"],
        "fully_qualified": model["fully_qualified_names"],
        "labels": sudo_labels,
    }
    before = len(errors)
    _catch(errors, sudoers.validate, [], **settings)
    for index, group in enumerate(model["groups"]):
        where = "%s.groups[%d]" % (ROOT, index)
        problem = sudoers.check_group(where + ".name", group["name"], sudo_labels)
        if problem:
            errors.append(problem)
        elif group["sudo"] and len(errors) == before:
            rule = dict(group["sudo"], group=group["name"])
            found = []
            _catch(found, sudoers.validate, [rule], **settings)
            errors.extend(e.replace("\0[0]", where + ".sudo") for e in found)


ACCOUNT_LABELS = {
    "user": ROOT + ".automation.user",
    "sudo": ROOT + ".automation.sudo",
    "shell": ROOT + ".automation.shell",
    "default_user": ROOT + ".aws.session_preferences.run_as_default_user",
    "untagged": ROOT + ".untagged_sessions",
}


def _account_checks(model, errors):
    """The automation account and the user untagged sessions get (runas_accounts)."""
    automation = model["automation"]
    errors.extend(
        runas_accounts.account_errors(
            automation,
            model["aws"]["session_preferences"]["run_as_default_user"],
            model["untagged_sessions"],
            labels=ACCOUNT_LABELS,
            ad_suffixes=(model["upn_suffix"], model["domain"]),
        )
    )
    if automation:
        errors.extend(
            runas_accounts.principal_errors(
                automation["iam_principals"],
                label=ROOT + ".automation.iam_principals",
                partition=model["aws"]["partition"],
                account_id=model["aws"]["account_id"],
            )
        )


def _cross_checks(model, errors):
    seen = {}
    for index, group in enumerate(model["groups"]):
        key = group["name"].lower()
        if key in seen:
            errors.append(
                "%s.groups[%d].name %s repeats groups[%d]: AD names are case-insensitive"
                % (ROOT, index, _quote(group["name"]), seen[key])
            )
        seen.setdefault(key, index)
    if not model["fully_qualified_names"] and model["ldap_attribute"] == "userPrincipalName":
        errors.append(
            "%s.fully_qualified_names false cannot go with ldap_attribute userPrincipalName: "
            "the tag carries user@suffix, so instances must resolve fully-qualified names; "
            "set it to true" % ROOT
        )


def check(model):
    """Return the checked model with its defaults and derived values; raise ModelError."""
    model = _plain(model)
    if not isinstance(model, dict):
        raise ModelError(
            ["%s must be a mapping with at least realm and groups, not %s" % (ROOT, _quote(model))]
        )
    checker = _Checker()
    out = checker.options(ROOT, SCHEMA, model)
    if checker.errors:
        raise ModelError(checker.errors)
    realm = out["realm"]
    errors = []
    if "." not in realm:
        errors.append(
            "%s.realm %s is not a DNS-style realm: give the AD domain, e.g. EXAMPLE.TEST"
            % (ROOT, _quote(realm))
        )
    out["realm"] = realm.upper()
    out["domain"] = realm.lower()
    suffix = out["upn_suffix"] or out["domain"]
    suffix = _catch(errors, iam_documents.validate_upn_suffix, suffix, ROOT + ".upn_suffix")
    out["upn_suffix"] = (suffix or "@").lstrip("@").lower()
    # Only a UPN tag carries the suffix every tag value must end with.
    out["tag_suffix"] = out["upn_suffix"] if out["ldap_attribute"] == "userPrincipalName" else ""
    out["adfs"]["rule_name"] = out["adfs"]["rule_name"] or out["tag_key"]
    _cross_checks(out, errors)
    _account_checks(out, errors)
    if not errors:
        _sides(out, errors)
    if errors:
        raise ModelError(list(dict.fromkeys(errors)))
    return out


normalize = check


def sudo_rules(model):
    """The sudo rules of the groups that carry them, in declaration order."""
    return [dict(g["sudo"], group=g["name"]) for g in model["groups"] if g["sudo"]]


def group_names(model):
    return [group["name"] for group in model["groups"]]


_DERIVED = {
    "automation_sudo_rules": ROOT + ".automation.sudo",
    "domain": ROOT + ".realm",
    "tag_suffix": ROOT + ".upn_suffix",
    "sudo_rules": ROOT + ".groups[].sudo",
    "group_names": ROOT + ".groups[].name",
}


def views(model, derived=True):
    """Every value a role may take from a checked model, by dotted path (and derived names)."""
    flat = {}

    def walk(prefix, value):
        for key, item in value.items():
            flat[prefix + key] = item
            if isinstance(item, dict) and prefix + key in ("aws", "adfs"):
                walk(prefix + key + ".", item)

    walk("", model)
    # Values a role needs from deeper down, by their full path (so the schema's default
    # applies without a model); none when the model leaves them out.
    automation = model.get("automation") or {}
    for key in SCHEMA["automation"]["options"]:
        flat["automation." + key] = automation.get(key)
    preferences = (model.get("aws") or {}).get("session_preferences") or {}
    flat["aws.session_preferences.run_as_default_user"] = preferences.get("run_as_default_user")
    if derived:
        flat["sudo_rules"] = sudo_rules(model)
        flat["group_names"] = group_names(model)
        flat["automation_sudo_rules"] = runas_accounts.automation_rules(model["automation"])
    return flat


def role_inputs(model, mapping, given, unset):
    """A role's inputs: the model's values, or the role variables when there is no model.

    ``mapping`` maps each role variable to ``{from: <view>, default: <value>, same_as:
    <variable>}``; without a model a variable falls back to the value of ``same_as`` (an
    earlier entry), the schema's default for ``from``, then ``default``. ``given`` holds the
    variables' values in mapping order, ``unset`` for those nobody set. A variable set to
    something other than what the model says is an error that names both, never a silent
    override.
    """
    values = dict(zip(mapping, _plain(given), strict=True))
    if model is None:
        out = {}
        missing = []
        for name, how in mapping.items():
            value = values.get(name, unset)
            if value == unset and how.get("same_as") in out:
                value = out[how["same_as"]]
            if value == unset:
                value = _plain(schema_default(how["from"], how.get("default", unset)))
            if value == unset:
                missing.append(name)
            out[name] = value
        if missing:
            raise ModelError(
                [
                    "%s is required when no %s data model is given: set it, or declare %s"
                    % (name, ROOT, ROOT)
                    for name in missing
                ]
            )
        return out
    seen = views(check(model))
    raw = views(_plain(model), derived=False)
    out = {}
    errors = []
    for name, how in mapping.items():
        path = how["from"]
        out[name] = _without_none(seen[path])
        value = values.get(name, unset)
        if value != unset and value not in (out[name], seen[path], raw.get(path, unset)):
            errors.append(
                "%s is set to %s, but %s says %s: say it in one place, remove %s (the model's "
                "value is used) or change the model"
                % (
                    name,
                    _quote(value),
                    _DERIVED.get(path, ROOT + "." + path),
                    _quote(seen[path]),
                    name,
                )
            )
    if errors:
        raise ModelError(errors)
    return out
