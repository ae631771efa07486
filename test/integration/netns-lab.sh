#!/usr/bin/env bash
# Test lab of real SSH hosts: one network namespace per host, joined by a bridge on a 10.250.x.0/24 subnet that
# only exists on this machine, each running Debian's sshd with its own hostname (UTS namespace), its own
# /etc/machine-id (private bind mount) and its own host key.
#
#   netns-lab.sh LABDIR NAME...
#
# Prints "host NAME ADDRESS NAMESPACE" per host, then "ready", then waits until stdin closes (the test ends or dies) and
# removes everything it made. The EXIT trap also cleans up on errors and signals. Needs root.
# Per host LABDIR/NAME/ holds machine-id (bind-mounted over /etc/machine-id inside the host: rewrite it in place
# to simulate a re-image), local-bin/ (bind-mounted over /usr/local/bin inside the host, empty at start),
# rancher/ and edge-state/ (over /var/lib/rancher and /var/lib/edge-estate: K3s certificates, datastore, backups),
# ssh_host_ed25519_key[.pub], sshd.pid and sshd.log. LABDIR/client_key is the key every host accepts.
# "host NAME ADDRESS NAMESPACE" lines let the test take a host's link down.
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 LABDIR NAME..." >&2
    exit 2
fi
lab=$1
shift
if [[ $(id -u) -ne 0 ]]; then
    echo "netns-lab: needs root (network and mount namespaces)" >&2
    exit 1
fi
for tool in ip unshare ssh-keygen /usr/sbin/sshd; do
    command -v "$tool" >/dev/null || { echo "netns-lab: $tool not found (install iproute2 util-linux openssh-server openssh-client)" >&2; exit 1; }
done

# Names unique per run (interface names are limited to 15 characters).
tag="ee$$"
bridge="${tag}br"
namespaces=()

cleanup() {
    local ns pidfile
    set +e
    for pidfile in "$lab"/*/sshd.pid; do
        [[ -f $pidfile ]] && kill "$(cat "$pidfile")" 2>/dev/null
    done
    for ns in "${namespaces[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    ip link del "$bridge" 2>/dev/null
    echo "netns-lab: removed ${#namespaces[@]} namespaces and bridge $bridge" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# A /24 in 10.250.100-199 that no interface on this machine uses yet.
subnet=""
used=$(ip -4 -o addr show)
for x in $(seq 100 199); do
    if ! grep -q "inet 10\.250\.$x\." <<<"$used"; then
        subnet="10.250.$x"
        break
    fi
done
[[ -n $subnet ]] || { echo "netns-lab: no free 10.250.100-199.0/24 subnet" >&2; exit 1; }

mkdir -p "$lab" /run/sshd
chmod 0755 /run/sshd
ssh-keygen -q -t ed25519 -N "" -C "edge-estate-test-client" -f "$lab/client_key" <<<y >/dev/null
cp "$lab/client_key.pub" "$lab/authorized_keys"

ip link add "$bridge" type bridge
ip addr add "$subnet.1/24" dev "$bridge"
ip link set "$bridge" up

i=10
for name in "$@"; do
    i=$((i + 1))
    ns="${tag}-${name}"
    dir="$lab/$name"
    address="$subnet.$i"
    mkdir -p "$dir/local-bin" "$dir/rancher" "$dir/edge-state"
    ip netns add "$ns"
    namespaces+=("$ns")
    ip link add "${tag}h$i" type veth peer name "${tag}n$i"
    ip link set "${tag}h$i" master "$bridge" up
    ip link set "${tag}n$i" netns "$ns"
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "${tag}n$i" name eth0
    ip -n "$ns" addr add "$address/24" dev eth0
    ip -n "$ns" link set eth0 up

    ssh-keygen -q -t ed25519 -N "" -C "$name" -f "$dir/ssh_host_ed25519_key" <<<y >/dev/null
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$dir/machine-id"
    echo >>"$dir/machine-id"
    cat >"$dir/sshd_config" <<CFG
Port 22
ListenAddress $address
HostKey $dir/ssh_host_ed25519_key
AuthorizedKeysFile $lab/authorized_keys
PidFile $dir/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AcceptEnv LANG
Subsystem sftp internal-sftp
CFG
    /usr/sbin/sshd -t -f "$dir/sshd_config"
    # Own hostname and own machine-id for this host only; sshd daemonizes and writes its pid file.
    # shellcheck disable=SC2016 # $1/$2 expand in the inner bash, not here.
    ip netns exec "$ns" unshare --uts --mount --propagation private \
        bash -c 'hostname "$1" && mount --bind "$2/machine-id" /etc/machine-id && mount --bind "$2/local-bin" /usr/local/bin &&
            mkdir -p /var/lib/rancher /var/lib/edge-estate && mount --bind "$2/rancher" /var/lib/rancher && mount --bind "$2/edge-state" /var/lib/edge-estate &&
            exec /usr/sbin/sshd -f "$2/sshd_config" -E "$2/sshd.log"' \
        sshd-lab "edge-$name" "$dir"
    for _ in $(seq 1 50); do
        [[ -s $dir/sshd.pid ]] && break
        sleep 0.1
    done
    [[ -s $dir/sshd.pid ]] || { echo "netns-lab: sshd for $name did not start; log:" >&2; cat "$dir/sshd.log" >&2; exit 1; }
    echo "host $name $address $ns"
done
echo "ready"

# Hold everything until the test closes our stdin.
cat >/dev/null || true
