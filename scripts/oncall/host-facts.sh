#!/usr/bin/env bash
# Read-only facts about one edge host, as key=value lines. The day-2 host probe (components/host/probe.ts) sends
# this text over SSH on every create and refresh; on-call can run it by hand too:
#   ssh root@<host> bash -s < scripts/oncall/host-facts.sh
# Needs only bash and coreutils: it must work on a freshly re-imaged host before anything of ours is installed.
# It changes nothing on the host, so running it twice is harmless.
set -euo pipefail

SHIM=/usr/local/bin/containerd-shim-wasmedge-v1

machine_id=$(cat /etc/machine-id 2>/dev/null || true)
boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || true)
host_name=$(uname -n)

k3s_bin=$(command -v k3s 2>/dev/null || true)
if [ -z "$k3s_bin" ] && [ -x /usr/local/bin/k3s ]; then
    k3s_bin=/usr/local/bin/k3s
fi
k3s_version=""
if [ -n "$k3s_bin" ]; then
    # First line looks like "k3s version v1.30.4+k3s1 (98262b5d)".
    k3s_version=$("$k3s_bin" --version 2>/dev/null | head -n 1 || true)
fi

if [ -x "$SHIM" ]; then shim=present; else shim=absent; fi

printf 'machine-id=%s\n' "$machine_id"
printf 'boot-id=%s\n' "$boot_id"
printf 'hostname=%s\n' "$host_name"
printf 'k3s=%s\n' "$k3s_version"
printf 'shim=%s\n' "$shim"
printf 'end=ok\n'
