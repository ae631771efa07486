#!/usr/bin/env bash
# Step 03: write /etc/rancher/k3s/config.yaml (mode 0600: it holds the cluster token) and, when mirrors are
# configured, registries.yaml. The tokens (and, on the first server, the cluster CA files) arrive on stdin, never
# in the environment or on a command line. stdin: line 1 this host's join token, line 2 the agent token
# (servers; empty on agents), then "<file> <base64>" lines of the CA files (first server only).
# K3s reads both files only at start, so a change requests a restart.
# HA servers (embedded etcd) also get config.yaml.d/50-edge-estate-snapshots.yaml: K3s' own snapshot schedule,
# with the retention sized for this host's disk (snapshot_retention in lib/common.sh).
# Env: K3S_CONFIG_YAML (everything but the token), K3S_REGISTRIES_YAML (may be empty), K3S_ETCD_SNAPSHOT_CRON
#      (empty unless HA) with BACKUP_MAX_DISK_PERCENT, BACKUP_MIN_RETENTION, BACKUP_MAX_RETENTION, SNAPSHOT_ESTIMATE_MIB
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

IFS= read -r token || true
IFS= read -r agent_token || true
[[ -n "${token:-}" ]] || die "the K3s token must be given on stdin"
[[ "$token" =~ ^K10[0-9a-f]{64}::(server|node):[A-Za-z0-9]+$ ]] || die "the K3s token on stdin is not in the secure form K10<CA hash>::<user>:<secret>"
[[ -z "${agent_token:-}" || "$agent_token" =~ ^K10[0-9a-f]{64}::node:[A-Za-z0-9]+$ ]] || die "the agent token on stdin is not in the secure form K10<CA hash>::node:<secret>"
umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# First server only: the cluster CA files the program generated, placed before K3s first starts so K3s uses them
# (and the token's CA hash is right from the start). An existing, different CA is never overwritten.
tls_dir=/var/lib/rancher/k3s/server/tls
ca_changed=0
while IFS=' ' read -r file b64 rest; do
    [[ -n "$file" ]] || continue
    [[ -z "${rest:-}" && "$file" =~ ^(server-ca|client-ca|request-header-ca)\.(crt|key)$ ]] || die "unexpected CA file entry on stdin: '$file'"
    printf '%s' "$b64" | base64 -d >"$work/$file" || die "CA file $file on stdin is not base64"
    if [[ -f "$tls_dir/$file" ]]; then
        cmp -s "$work/$file" "$tls_dir/$file" || die "$tls_dir/$file exists and differs from the cluster CA the program owns (a cluster created before it did, or a rotated CA); follow docs/day2.md \"Rotating the cluster CA\""
        continue
    fi
    mode=0600
    [[ "$file" == *.crt ]] && mode=0644
    install_content "$tls_dir/$file" "$mode" "$work/$file" || true
    log "placed $tls_dir/$file ($mode)"
    ca_changed=1
done
if ((ca_changed == 0)); then log "cluster CA files: none on stdin or all unchanged"; fi
if [[ "${EDGE_ROLE:-}" == "server" && -f "$tls_dir/server-ca.crt" ]]; then
    want="${token:3:64}"
    have="$(sha256_of "$tls_dir/server-ca.crt")"
    [[ "$want" == "$have" ]] || die "the token's CA hash $want does not match $tls_dir/server-ca.crt ($have)"
fi

{
    printf '%s\ntoken: "%s"\n' "${K3S_CONFIG_YAML:?}" "$token"
    if [[ -n "${agent_token:-}" ]]; then printf 'agent-token: "%s"\n' "$agent_token"; fi
} >"$work/config.yaml"
unset token agent_token
if install_content /etc/rancher/k3s/config.yaml 0600 "$work/config.yaml"; then
    log "wrote /etc/rancher/k3s/config.yaml (0600)"
    if systemctl is-active --quiet "$(k3s_unit)" 2>/dev/null; then request_k3s_restart "config.yaml changed"; fi
else
    log "/etc/rancher/k3s/config.yaml unchanged"
fi

if [[ -n "${K3S_REGISTRIES_YAML:-}" ]]; then
    printf '%s\n' "$K3S_REGISTRIES_YAML" >"$work/registries.yaml"
    if install_content /etc/rancher/k3s/registries.yaml 0600 "$work/registries.yaml"; then
        log "wrote /etc/rancher/k3s/registries.yaml (0600)"
        if systemctl is-active --quiet "$(k3s_unit)" 2>/dev/null; then request_k3s_restart "registries.yaml changed"; fi
    else
        log "/etc/rancher/k3s/registries.yaml unchanged"
    fi
elif [[ -f /etc/rancher/k3s/registries.yaml ]]; then
    rm -f /etc/rancher/k3s/registries.yaml
    log "removed /etc/rancher/k3s/registries.yaml (no mirrors configured)"
    if systemctl is-active --quiet "$(k3s_unit)" 2>/dev/null; then request_k3s_restart "registries.yaml removed"; fi
else
    log "no registry mirrors configured"
fi

snapshots=/etc/rancher/k3s/config.yaml.d/50-edge-estate-snapshots.yaml
if [[ -n "${K3S_ETCD_SNAPSHOT_CRON:-}" ]]; then
    keep="$(snapshot_retention /var/lib/rancher/k3s/server "${BACKUP_MAX_DISK_PERCENT:?}" "${BACKUP_MIN_RETENTION:?}" "${BACKUP_MAX_RETENTION:?}" "${SNAPSHOT_ESTIMATE_MIB:?}")"
    printf '# Written by edge-estate (step 03): K3s etcd snapshots, retention sized for this disk.\netcd-snapshot-schedule-cron: "%s"\netcd-snapshot-retention: %s\n' \
        "$K3S_ETCD_SNAPSHOT_CRON" "$keep" >"$work/snapshots.yaml"
    if install_content "$snapshots" 0600 "$work/snapshots.yaml"; then
        log "wrote $snapshots (every '${K3S_ETCD_SNAPSHOT_CRON}', keeping $keep)"
        if systemctl is-active --quiet "$(k3s_unit)" 2>/dev/null; then request_k3s_restart "etcd snapshot schedule changed"; fi
    else
        log "$snapshots unchanged"
    fi
elif [[ -f "$snapshots" ]]; then
    rm -f "$snapshots"
    log "removed $snapshots (not an HA server)"
fi
