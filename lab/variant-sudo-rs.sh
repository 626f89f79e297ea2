#!/usr/bin/env bash
# Debian 13 whose `sudo` is sudo-rs. Run inside the debian13 base image, without systemd.
# Debian's sudo-rs package only installs sudo-rs/visudo-rs (and /usr/lib/cargo/bin/{sudo,visudo});
# it has no alternatives, no PAM files and no /etc/sudoers, and does not replace sudo. So, as
# Ubuntu 25.10 does by alternatives: sudo-rs is linked in as sudo and visudo, and sudo is removed
# (not purged), which keeps Debian's /etc/sudoers (with @includedir /etc/sudoers.d) and the PAM
# services sudo and sudo-i that sudo-rs uses.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends sudo-rs >/dev/null
# sudo's prerm refuses while root has no password; sudo-rs keeps root's way in.
SUDO_FORCE_REMOVE=yes apt-get remove -y -qq sudo >/dev/null
test -f /etc/sudoers && test -f /etc/pam.d/sudo && test -f /etc/pam.d/sudo-i
update-alternatives --install /usr/bin/sudo sudo /usr/lib/cargo/bin/sudo 50 \
  --slave /usr/sbin/visudo visudo /usr/lib/cargo/bin/visudo
sudo -V 2>&1 | grep -q '^sudo-rs '
apt-get clean
rm -rf /var/lib/apt/lists/*
