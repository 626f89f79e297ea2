# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What amazon-ssm-agent does on its own on a Linux instance (aws/amazon-ssm-agent source)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Created by the agent, with passwordless sudo through AGENT_SUDOERS, whenever a session starts
# while run-as is off; it stays after run-as is switched on.
AGENT_USER = "ssm-user"
AGENT_SUDOERS = "/etc/sudoers.d/ssm-agent-users"
# The agent sets HOME=<HOME_ROOT>/<run-as name as given> and starts the shell without PAM.
HOME_ROOT = "/home"
