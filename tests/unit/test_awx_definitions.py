"""awx/: credential types, job templates and surveys are valid the way AWX validates them, and
they agree with the repository (playbooks, inventories, the env variables the inventories read,
the role variables a survey sets)."""

import re
from pathlib import Path

import jinja2
import jinja2.meta
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
AWX = REPO / "awx"
ENVIRONMENTS = ("dev", "prod")
BUILTIN_CREDENTIAL_TYPES = {"Machine", "Vault", "Source Control", "Amazon Web Services"}
# Env names AWX refuses in custom credential injectors (awx/main/constants.py ENV_BLOCKLIST),
# besides anything starting with ANSIBLE_.
AWX_ENV_BLOCKLIST = {
    "VIRTUAL_ENV",
    "PATH",
    "PYTHONPATH",
    "JOB_ID",
    "INVENTORY_ID",
    "INVENTORY_SOURCE_ID",
    "INVENTORY_UPDATE_ID",
    "AD_HOC_COMMAND_ID",
    "REST_API_URL",
    "REST_API_TOKEN",
    "MAX_EVENT_RES",
    "CALLBACK_QUEUE",
    "CALLBACK_CONNECTION",
    "CACHE",
    "JOB_CALLBACK_DEBUG",
    "INVENTORY_HOSTVARS",
    "AWX_HOST",
    "PROJECT_REVISION",
    "SUPERVISOR_CONFIG_PATH",
}
# Read by boto3 / amazon.aws plugins themselves, not by an inventory lookup.
READ_BY_AWS_SDK = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
# awx.awx 24.6.1 job_template options this repository may use (its argument_spec).
JOB_TEMPLATE_OPTIONS = {
    "name",
    "description",
    "job_type",
    "inventory",
    "playbook",
    "credentials",
    "forks",
    "limit",
    "verbosity",
    "extra_vars",
    "job_tags",
    "skip_tags",
    "diff_mode",
    "timeout",
    "job_slice_count",
    "become_enabled",
    "allow_simultaneous",
    "use_fact_cache",
    "labels",
    "survey_enabled",
    "survey_spec",
    "ask_limit_on_launch",
    "ask_tags_on_launch",
    "ask_skip_tags_on_launch",
    "ask_diff_mode_on_launch",
    "ask_job_type_on_launch",
    "ask_variables_on_launch",
    "ask_job_slice_count_on_launch",
    "ask_verbosity_on_launch",
    "ask_inventory_on_launch",
    "ask_credential_on_launch",
    "ask_forks_on_launch",
}
LOCAL_KEYS = {"schedule"}  # handled by awx/configure.yml with awx.awx.schedule
# AWX survey question types and the Python type of their default (JobTemplateSurveySpec).
SURVEY_TYPES = {
    "text": str,
    "textarea": str,
    "password": str,
    "multiplechoice": str,
    "multiselect": str,
    "integer": int,
    "float": (int, float),
}
ENV_LOOKUP = re.compile(r"lookup\(\s*'ansible\.builtin\.env'\s*,\s*'([A-Z0-9_]+)'\s*\)")


def load(name):
    return yaml.safe_load((AWX / name).read_text())


TEMPLATES = load("job_templates.yml")
CREDENTIAL_TYPES = load("credential_types.yml")["awx_credential_types"]


def question_errors(where, item):
    """Problems of one survey question whose basic fields are present and typed."""
    errors = []
    qtype = item["type"]
    if qtype not in SURVEY_TYPES:
        return [f"{where}: type {qtype!r} is not one of {sorted(SURVEY_TYPES)}"]
    default = item.get("default", "")
    if default != "" and not isinstance(default, SURVEY_TYPES[qtype]):
        errors.append(f"{where}: default {default!r} does not fit type {qtype}")
    if isinstance(default, str) and default.startswith("$encrypted$"):
        errors.append(f"{where}: $encrypted$ is reserved")
    errors += [
        f"{where}: {key} must be an integer"
        for key in ("min", "max")
        if item.get(key) is not None and not isinstance(item[key], int)
    ]
    if qtype not in ("multiplechoice", "multiselect"):
        return errors
    choices = item.get("choices")
    if isinstance(choices, str):
        choices = [c for c in choices.splitlines() if c.strip()]
    if not choices:
        return [*errors, f"{where}: {qtype} needs choices"]
    defaults = default.splitlines() if isinstance(default, str) else list(default)
    defaults = [d for d in defaults if d.strip()]
    if qtype == "multiplechoice" and len(defaults) > 1:
        errors.append(f"{where}: multiplechoice takes one default")
    if any(d not in choices for d in defaults):
        errors.append(f"{where}: default {default!r} is not among {choices}")
    return errors


def survey_errors(spec):
    """AWX's survey spec rules (POST /job_templates/N/survey_spec/), as a list of problems."""
    errors = [
        f"'{field}' must be a {kind.__name__}"
        for field, kind in (("name", str), ("description", str), ("spec", list))
        if not isinstance(spec.get(field), kind)
    ]
    if errors:
        return errors
    if not spec["spec"]:
        return ["'spec' has no questions"]
    seen = set()
    for idx, item in enumerate(spec["spec"]):
        where = f"question {idx}"
        if not isinstance(item, dict):
            errors.append(f"{where} is not a mapping")
            continue
        basic = [
            f"{where}: '{field}' missing or not a {kind.__name__}"
            for field, kind in (
                ("type", str),
                ("question_name", str),
                ("variable", str),
                ("required", bool),
            )
            if not isinstance(item.get(field), kind)
        ]
        if basic:
            errors += basic
            continue
        if item["variable"] in seen:
            errors.append(f"{where}: variable {item['variable']!r} repeats")
        seen.add(item["variable"])
        errors += question_errors(where, item)
    return errors


BAD_SURVEYS = [
    ({"description": "", "spec": []}, "'name'"),
    ({"name": "x", "description": "", "spec": []}, "no questions"),
    (
        {
            "name": "x",
            "description": "",
            "spec": [{"type": "text", "variable": "v", "required": True}],
        },
        "question_name",
    ),
    (
        {
            "name": "x",
            "description": "",
            "spec": [{"type": "text", "question_name": "q", "variable": "v", "required": "yes"}],
        },
        "'required'",
    ),
    (
        {
            "name": "x",
            "description": "",
            "spec": [
                {"type": "text", "question_name": "q", "variable": "v", "required": True},
                {"type": "text", "question_name": "r", "variable": "v", "required": True},
            ],
        },
        "repeats",
    ),
    (
        {
            "name": "x",
            "description": "",
            "spec": [{"type": "boolean", "question_name": "q", "variable": "v", "required": True}],
        },
        "not one of",
    ),
    (
        {
            "name": "x",
            "description": "",
            "spec": [
                {"type": "multiplechoice", "question_name": "q", "variable": "v", "required": True}
            ],
        },
        "needs choices",
    ),
    (
        {
            "name": "x",
            "description": "",
            "spec": [
                {
                    "type": "multiplechoice",
                    "question_name": "q",
                    "variable": "v",
                    "required": True,
                    "choices": ["a", "b"],
                    "default": "c",
                }
            ],
        },
        "not among",
    ),
    (
        {
            "name": "x",
            "description": "",
            "spec": [
                {
                    "type": "multiplechoice",
                    "question_name": "q",
                    "variable": "v",
                    "required": True,
                    "choices": "a\nb",
                    "default": "a\nb",
                }
            ],
        },
        "one default",
    ),
    (
        {
            "name": "x",
            "description": "",
            "spec": [
                {
                    "type": "integer",
                    "question_name": "q",
                    "variable": "v",
                    "required": True,
                    "default": "5",
                }
            ],
        },
        "does not fit",
    ),
    (
        {
            "name": "x",
            "description": "",
            "spec": [
                {
                    "type": "integer",
                    "question_name": "q",
                    "variable": "v",
                    "required": True,
                    "min": "1",
                }
            ],
        },
        "min must be",
    ),
]


@pytest.mark.parametrize(("spec", "problem"), BAD_SURVEYS, ids=[b[1] for b in BAD_SURVEYS])
def test_survey_validator_rejects_what_awx_rejects(spec, problem):
    assert any(problem in error for error in survey_errors(spec)), survey_errors(spec)


@pytest.mark.parametrize("template", TEMPLATES["awx_job_templates"], ids=lambda t: t["name"])
def test_job_template_is_valid_and_points_at_real_things(template):
    unknown = set(template) - JOB_TEMPLATE_OPTIONS - LOCAL_KEYS
    assert not unknown, f"{template['name']}: not awx.awx.job_template options: {unknown}"
    assert template["job_type"] in ("run", "check")
    playbook = REPO / template["playbook"]
    assert playbook.is_file(), f"{template['name']}: {template['playbook']} does not exist"
    plays = yaml.safe_load(playbook.read_text())
    assert isinstance(plays, list) and all(
        "hosts" in p or "import_playbook" in str(p) for p in plays
    )
    inventories = {i["name"]: i for i in TEMPLATES["awx_inventories"]}
    assert template["inventory"] in inventories
    env = inventories[template["inventory"]]["source_path"].rsplit("/", 1)[-1]
    credentials = {c["name"]: c["type"] for c in TEMPLATES["awx_credentials"]}
    types = [credentials[name] for name in template["credentials"]]
    assert len(types) == len(set(types)), f"AWX allows one credential per type: {types}"
    for name in template["credentials"]:
        assert name.endswith(f" {env}"), f"{template['name']} on {env} uses {name}"
    assert isinstance(template.get("job_slice_count", 1), int)
    assert template.get("job_slice_count", 1) >= 1
    if template.get("survey_enabled"):
        assert not survey_errors(template["survey_spec"]), survey_errors(template["survey_spec"])
    if "schedule" in template:
        assert template["schedule"]["rrule"].startswith("DTSTART")
        assert "RRULE:FREQ=" in template["schedule"]["rrule"]


def test_templates_cover_site_verify_check_and_slicing():
    templates = TEMPLATES["awx_job_templates"]
    for env in ENVIRONMENTS:
        on_env = [t for t in templates if t["inventory"].endswith(f" {env}")]
        assert {t["playbook"] for t in on_env} >= {"playbooks/site.yml", "playbooks/verify.yml"}
    check = [t for t in templates if t["job_type"] == "check"]
    assert check and all(t.get("diff_mode") for t in check)
    assert any(t.get("job_slice_count", 1) > 1 for t in templates)
    # Site runs carry every secret the three sides need.
    custom = {c["name"] for c in CREDENTIAL_TYPES}
    credentials = {c["name"]: c["type"] for c in TEMPLATES["awx_credentials"]}
    for template in templates:
        if template["playbook"] == "playbooks/site.yml":
            assert custom <= {credentials[c] for c in template["credentials"]}, template["name"]


def argspec_options():
    options = {}
    for spec in REPO.glob("roles/*/meta/argument_specs.yml"):
        for name, option in yaml.safe_load(spec.read_text())["argument_specs"]["main"][
            "options"
        ].items():
            options[name] = option
    return options


def test_survey_variables_are_real_and_choices_valid():
    options = argspec_options()
    known_text = "\n".join(p.read_text() for p in (REPO / "playbooks").glob("*.yml"))
    known_text += "\n".join(
        p.read_text()
        for env in ENVIRONMENTS
        for p in (REPO / "examples/inventories" / env).rglob("*.yml")
    )
    for template in TEMPLATES["awx_job_templates"]:
        for item in template.get("survey_spec", {}).get("spec", []):
            variable = item["variable"]
            if variable in options:
                allowed = options[variable].get("choices")
                if allowed and item["type"] == "multiplechoice":
                    assert set(item["choices"]) <= set(allowed), (template["name"], variable)
            else:
                assert re.search(rf"\b{variable}\b", known_text), (
                    f"{template['name']}: survey variable {variable} is read nowhere"
                )


def test_credential_types_are_valid_custom_types():
    names = [c["name"] for c in CREDENTIAL_TYPES]
    assert len(names) == len(set(names))
    for ctype in CREDENTIAL_TYPES:
        assert ctype["kind"] in ("cloud", "net"), "custom types are cloud or net"
        fields = ctype["inputs"]["fields"]
        ids = [f["id"] for f in fields]
        assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-z_][a-z0-9_]*", i) for i in ids)
        assert all(f["type"] in ("string", "boolean") and f["label"] for f in fields)
        assert set(ctype["inputs"].get("required", [])) <= set(ids)
        assert set(ctype["injectors"]) <= {"env", "extra_vars", "file"}
        env = ctype["injectors"]["env"]
        used = set()
        for var, template in env.items():
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var)
            assert not var.startswith("ANSIBLE_") and var not in AWX_ENV_BLOCKLIST, var
            used |= jinja2.meta.find_undeclared_variables(
                jinja2.Environment(autoescape=True).parse(template)
            )
        assert used <= set(ids), (
            f"{ctype['name']}: injector uses undefined fields {used - set(ids)}"
        )
        secrets = {f["id"] for f in fields if f.get("secret")}
        assert secrets <= used, f"{ctype['name']}: secret fields never injected"
    credentials = TEMPLATES["awx_credentials"]
    assert {c["type"] for c in credentials} <= set(names) | BUILTIN_CREDENTIAL_TYPES


def test_injected_env_names_are_the_ones_the_inventories_read():
    injected = {var for c in CREDENTIAL_TYPES for var in c["injectors"]["env"]}
    for env in ENVIRONMENTS:
        text = "\n".join(
            p.read_text() for p in (REPO / "examples/inventories" / env).rglob("*.yml")
        )
        looked_up = set(ENV_LOOKUP.findall(text))
        ours = {v for v in looked_up if v.startswith("SSM_RUNAS_")}
        assert ours, f"inventories/{env} reads no SSM_RUNAS_* variable"
        assert ours <= injected, f"{env} reads {sorted(ours - injected)} that no credential injects"
        # An injected name nobody reads is a credential that silently does nothing.
        unread = injected - looked_up - READ_BY_AWS_SDK
        assert not unread, f"injected but never read by inventories/{env}: {sorted(unread)}"
        assert {"SSM_RUNAS_JOIN_PASSWORD", "SSM_RUNAS_WINRM_PASSWORD"} <= looked_up


def test_configure_playbook_applies_every_definition_with_awx_modules():
    plays = yaml.safe_load((AWX / "configure.yml").read_text())
    assert len(plays) == 1
    play = plays[0]
    assert set(play["vars_files"]) == {"credential_types.yml", "job_templates.yml"}
    modules = {next(k for k in task if "." in k) for task in play["tasks"]}
    assert all(m.startswith("awx.awx.") for m in modules)
    assert {
        "awx.awx.credential_type",
        "awx.awx.job_template",
        "awx.awx.inventory_source",
        "awx.awx.project",
        "awx.awx.execution_environment",
    } <= modules
    loops = " ".join(str(task.get("loop", "")) for task in play["tasks"])
    for key in ("awx_credential_types", "awx_job_templates", "awx_inventories", "awx_credentials"):
        assert key in loops, f"{key} is defined but never applied"
