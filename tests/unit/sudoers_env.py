"""What the sudoers tests share: the role's message labels and small builders."""

from ansible_collections.federated.ssm_runas.plugins.module_utils import sudoers as s

HEADER = "# Ansible managed: federated.ssm_runas.sudoers_file\n"
# Messages as the ad_sudoers role has them: its variables, not the module's options.
ROLE = s.labels_for("ad_sudoers_", {"path": "ad_sudoers_file"})


def spec(rules, aliases=None, domain="example.test", fq=True, **extra):
    extra.setdefault("labels", ROLE)
    return s.validate(
        rules, command_aliases=aliases or {}, domain=domain, fully_qualified=fq, **extra
    )


def body(text):
    """The rendered lines after the header comments and blank lines."""
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def exe(directory, name, mode=0o755):
    path = directory / name
    path.write_text("#!/bin/sh\n")
    path.chmod(mode)
    return str(path)
