#!/usr/bin/env bash
# Finishes a debootstrap rootfs so it boots systemd under podman: $1 rootfs, $2 suite, $3 mirror.
set -euo pipefail
root=$1 suite=$2 mirror=$3
printf 'deb %s %s main\n' "$mirror" "$suite" >"$root/etc/apt/sources.list"
# Keep .debs: the lab mounts a shared archive cache so repeated role runs download once.
printf 'APT::Keep-Downloaded-Packages "true";\nBinary::apt::APT::Keep-Downloaded-Packages "true";\n' \
  >"$root/etc/apt/apt.conf.d/00keep-debs"
rm -f "$root/etc/apt/apt.conf.d/docker-clean"
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
# Units that only make sense on real hardware or wait for a network manager.
for unit in getty@tty1.service console-getty.service systemd-remount-fs.service \
  systemd-udevd.service systemd-udev-trigger.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
chroot "$root" apt-get clean
rm -rf "$root/var/lib/apt/lists/"*
