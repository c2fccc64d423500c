#!/bin/sh
# Turns a Debian bookworm root filesystem into the neo-bridge runtime: run as
# root INSIDE that root, by the Dockerfile (RUN, on debian:bookworm-slim) and
# by image/build_image.sh (chroot, on a debootstrap minbase rootfs), so both
# images get the same packages and the same user.
#
#   rootfs-setup.sh PACKAGE_LIST
#
# Installs the packages named in PACKAGE_LIST (one a line, `#` comments; e.g.
# image/runtime-packages.txt) without recommends, removes apt's lists, caches
# and logs, and adds the unprivileged user and group nonroot, 65532:65532
# (no home, no shell, no password), which the image runs as.
set -eu

list=${1:?usage: rootfs-setup.sh PACKAGE_LIST}
packages=$(sed -e 's/#.*//' "$list" | tr -s ' \t' '\n' | sed -e '/^$/d' | tr '\n' ' ')
[ -n "$packages" ] || { echo "rootfs-setup: $list names no packages" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086  # one word per package
apt-get install -y -qq --no-install-recommends $packages
# Every listed package must now be installed (apt-get would have failed
# otherwise, but a typo'd virtual package can slip through).
for pkg in $packages; do
  dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' \
    || { echo "rootfs-setup: $pkg is not installed" >&2; exit 1; }
done

apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old \
  /var/log/apt/* /var/log/dpkg.log /var/log/alternatives.log \
  /var/cache/ldconfig/aux-cache

# The runtime user: numeric 65532:65532 in the image config; the names only
# make `ps` and `ls -l` readable.
uid=65532
if ! grep -q "^[^:]*:[^:]*:$uid:" /etc/group; then
  echo "nonroot:x:$uid:" >>/etc/group
fi
if ! grep -q "^[^:]*:[^:]*:$uid:" /etc/passwd; then
  echo "nonroot:x:$uid:$uid:nonroot:/nonexistent:/usr/sbin/nologin" >>/etc/passwd
fi
if [ -f /etc/shadow ] && ! grep -q '^nonroot:' /etc/shadow; then
  echo 'nonroot:!:::::::' >>/etc/shadow
fi
if [ -f /etc/gshadow ] && ! grep -q '^nonroot:' /etc/gshadow; then
  echo 'nonroot:!::' >>/etc/gshadow
fi
