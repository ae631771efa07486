#!/usr/bin/env bash
# Read-only facts about one edge host, as key=value lines. The day-2 host probe (components/host/probe.ts) sends
# this text over SSH on every create and refresh; on-call can run it by hand too:
#   ssh root@<host> bash -s < scripts/oncall/host-facts.sh
# Needs only bash and coreutils: it must work on a freshly re-imaged host before anything of ours is installed.
# On K3s servers it also lists each certificate's expiry (with openssl, when installed) and the newest datastore
# snapshot (K3s etcd snapshots, or the SQLite backups of scripts/remote/datastore-snapshot.sh).
# It changes nothing on the host, so running it twice is harmless.
set -euo pipefail

SHIM=/usr/local/bin/containerd-shim-wasmedge-v1
SERVER_DIR=/var/lib/rancher/k3s/server

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

# Datastore: embedded etcd (HA servers), SQLite (single server), or none (agents, not installed yet).
if [ -d "$SERVER_DIR/db/etcd" ]; then
    printf 'datastore=etcd\n'
elif [ -f "$SERVER_DIR/db/state.db" ]; then
    printf 'datastore=sqlite\n'
else
    printf 'datastore=none\n'
fi

# Certificates: one line per file, "cert=<path under tls/> <notAfter as Unix time>".
if [ ! -d "$SERVER_DIR/tls" ]; then
    printf 'cert-tool=none\n'
elif ! command -v openssl >/dev/null 2>&1; then
    printf 'cert-tool=missing\n'
else
    printf 'cert-tool=openssl\n'
    while IFS= read -r crt; do
        end=$(openssl x509 -enddate -noout -in "$crt" 2>/dev/null | sed 's/^notAfter=//' || true)
        epoch=$(date -d "$end" +%s 2>/dev/null || true)
        if [ -n "$end" ] && [ -n "$epoch" ]; then printf 'cert=%s %s\n' "${crt#"$SERVER_DIR/tls/"}" "$epoch"; fi
    done < <(find "$SERVER_DIR/tls" -maxdepth 2 -name '*.crt' -type f 2>/dev/null | sort)
fi

# Newest snapshot of either kind: "snapshot=<Unix time> <file name>", or "snapshot=none".
snapshot=$(find "$SERVER_DIR/db/snapshots" /var/lib/edge-estate/backups/sqlite -maxdepth 1 -type f ! -name '.*' -printf '%T@ %f\n' 2>/dev/null | sort -n | tail -n 1 || true)
if [ -n "$snapshot" ]; then printf 'snapshot=%s %s\n' "${snapshot%%.* *}" "${snapshot#* }"; else printf 'snapshot=none\n'; fi
printf 'end=ok\n'
