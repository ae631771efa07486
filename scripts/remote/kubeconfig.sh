#!/usr/bin/env bash
# Step 06 (first server of a site): keep the admin kubeconfig at 0600 root:root and hand it to Pulumi on stdout.
# Pulumi marks this output secret and never logs it (logging: none).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

kubeconfig=/etc/rancher/k3s/k3s.yaml
deadline=$((SECONDS + ${EDGE_WAIT_SECONDS:-180}))
until [[ -s "$kubeconfig" ]]; do
    ((SECONDS < deadline)) || die "$kubeconfig was not written by K3s"
    sleep 2
done
chown root:root "$kubeconfig"
chmod 0600 "$kubeconfig"
mode="$(stat -c '%a' "$kubeconfig")"
[[ "$mode" == "600" ]] || die "$kubeconfig has mode $mode, expected 600"
cat "$kubeconfig"
