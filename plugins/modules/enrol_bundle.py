#!/usr/bin/python
# Copyright: (c) 2026, federated.ssm_runas maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This is a documentation stub: the work happens in the action plugin of the same name.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: enrol_bundle
short_description: Build what a new instance needs to enrol itself at launch
version_added: 0.2.0
author:
  - federated.ssm_runas maintainers (@federated)
description:
  - Builds, on the controller, the enrolment bundle of this collection's Linux side
    (the C(federated.ssm_runas.enrol) playbook) and the launch script an instance runs
    as EC2 user data or as an SSM document's command. Connects nowhere.
  - The bundle is a gzip'd tar holding this collection (meta, plugins, roles, playbooks), the
    controller's own ansible-core package, and an inventory of the instance itself with the
    data model C(ssm_runas) and the Linux roles' variables the task sees (templated here),
    plus O(enrol.linux_vars). Variables whose names speak of passwords, secrets, tokens or keys are
    never shipped. The same inputs give the same bytes, so its SHA-256 names it (O(enrol.prefix)
    + C(<sha256>.tar.gz)) and an unchanged environment uploads nothing.
  - With O(enrol.state=absent) only RV(settings) and RV(policy_name) are returned.
  - The bundle is kept under O(dest) as C(<sha256>.tar.gz), in check mode too (it is the
    controller's own artifact, which an upload's check compares).
  - The launch script writes the enroller, its configuration and a systemd service, and starts
    it. It carries no secret. On the instance the service installs what the bundle's
    ansible-core needs (C(python3-boto3), C(python3-jinja2), C(python3-yaml),
    C(python3-cryptography), C(python3-packaging), C(python3-resolvelib)) from the instance's
    own repositories, reads the bundle and checks its SHA-256, reads the join secret with the
    instance's own role, and runs the enrol playbook on the instance. It retries failures that
    may pass with backoff for O(enrol.retry_seconds) and writes the outcome to
    C(/var/lib/ssm-runas-enrol/enrolled.json).
options:
  enrol:
    description:
      - The enrolment's settings, as the P(federated.ssm_runas.aws_federation#role) role's
        C(aws_federation_enrol) takes them. Defaults are filled in and returned as RV(settings).
    type: dict
    required: true
    suboptions:
      state:
        description: V(absent) only returns the settings (names to remove); nothing is built.
        type: str
        choices: [present, absent]
        default: present
      bucket:
        description: S3 bucket of the bundle.
        type: str
        required: true
      prefix:
        description: Key prefix of bundles in O(enrol.bucket); relative, ending in C(/).
        type: str
        default: ssm-runas/bundles/
      manage_bucket:
        description: Whether the caller creates and removes the bucket (returned, not used here).
        type: bool
        default: true
      secret_store:
        description: Where the join password is kept.
        type: str
        choices: [secretsmanager, ssm]
        default: secretsmanager
      secret_name:
        description:
          - Name of the Secrets Manager secret or the SSM SecureString parameter.
          - Default C(federated-ssm-runas/join) for V(secretsmanager) and
            C(/federated-ssm-runas/join) for V(ssm).
        type: str
      manage_secret:
        description: Whether the caller writes the secret; then O(secret_given) must be true.
        type: bool
        default: true
      kms_key_arn:
        description:
          - Customer managed KMS key that encrypts the secret, if any. The instance policy then
            allows C(kms:Decrypt) on this key only, through the secret's service.
        type: str
        default: ''
      instance_role:
        description: Name of the instance profile's role (checked here; named in the policies).
        type: str
        default: SSMRunAsEnrol
      instance_managed_policies:
        description: Managed policies the caller attaches to the instance role (returned).
        type: list
        elements: str
        default: []
      launch_template:
        description: Launch template the caller keeps with the launch script (checked, returned).
        type: str
        default: ''
      launch_template_data:
        description: More of the launch template, for the caller (returned).
        type: dict
        default: {}
      retry_seconds:
        description: How long the instance keeps retrying failures that may pass (network, AWS, DC).
        type: int
        default: 1800
      linux_vars:
        description:
          - Linux side variables to ship besides those the task sees (for inventories that set
            them only for C(ssm_instances)). A secret here is refused.
        type: dict
        default: {}
  region:
    description: AWS region of the bucket and the secret.
    type: str
    required: true
  account_id:
    description: AWS account of the secret (twelve digits).
    type: str
    required: true
  dest:
    description: Controller directory where the bundle is kept.
    type: path
    required: true
  secret_given:
    description: Whether the caller has the join password to write (never the password itself).
    type: bool
    default: false
  secret_label:
    description: How messages name the caller's join password variable.
    type: str
    default: the join password
  linux_side:
    description: The Linux side the bundle carries, as the caller names it.
    type: dict
    required: true
    suboptions:
      roles:
        description: Roles whose argument specs name the variables that may ship.
        type: list
        elements: str
        required: true
      secret_var:
        description: Variable the join password fills on the instance (never shipped).
        type: str
        required: true
      join_method_var:
        description: Variable of the join method, which must be V(password) when shipped.
        type: str
        required: true
  validate_only:
    description:
      - Check the settings and what would ship (the same errors as a build), and build nothing.
        Returns RV(settings), RV(policy_name) and RV(shipped_vars).
    type: bool
    default: false
  var_prefix:
    description: Put before option names in error messages, so a role names its own variables.
    type: str
    default: ''
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
notes:
  - The instance needs C(/usr/bin/python3) 3.12 or later (the bundle's ansible-core needs it);
    the enroller says so and stops on an older one.
seealso:
  - module: amazon.aws.s3_object
  - module: amazon.aws.ec2_launch_template
"""

EXAMPLES = r"""
- name: Enrolment bundle and launch script are built
  federated.ssm_runas.enrol_bundle:
    enrol:
      bucket: corp-ssm-runas
      secret_store: secretsmanager
      secret_name: corp/ssm-runas/join
      instance_role: SSMRunAsEnrol
    secret_given: true
    linux_side:
      roles: [runas_accounts, ad_sudoers, ad_join]
      secret_var: ad_join_password
      join_method_var: ad_join_join_method
    region: eu-west-1
    account_id: "210987654321"
    dest: "{{ lookup('federated.ssm_runas.output_dir', 'enrol') }}"
  register: enrol
"""

RETURN = r"""
settings:
  description: O(enrol) with every default filled in (the secret's name by its store).
  returned: always
  type: dict
policy_name:
  description: Name of the instance role's inline policy.
  returned: always
  type: str
sha256:
  description: SHA-256 of the bundle.
  returned: when O(enrol.state=present)
  type: str
key:
  description: The bundle's S3 key, O(enrol.prefix) + C(<sha256>.tar.gz).
  returned: when O(enrol.state=present)
  type: str
bundle_file:
  description: The bundle on the controller (a path).
  returned: when O(enrol.state=present)
  type: str
size:
  description: The bundle's size in bytes.
  returned: when O(enrol.state=present)
  type: int
shipped_vars:
  description: Names of the variables the bundle carries.
  returned: when O(enrol.state=present), with O(validate_only) too
  type: list
  elements: str
user_data:
  description: The launch script (EC2 user data, at most 16384 bytes).
  returned: when O(enrol.state=present)
  type: str
ssm_document:
  description: A Command document (schema 2.2) running the launch script and waiting for it.
  returned: when O(enrol.state=present)
  type: dict
instance_policy:
  description: The instance profile's policy, reading this bundle and this secret only.
  returned: when O(enrol.state=present)
  type: dict
trust_policy:
  description: The instance role's trust policy (EC2 may assume it).
  returned: when O(enrol.state=present)
  type: dict
"""
