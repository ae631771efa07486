#!/usr/bin/env bash
# Add-on step: import the tracking service's OCI image archive (copied over SSH, no registry) into K3s's
# containerd, under the name the Deployment pins: <IMAGE_REPOSITORY>@<IMAGE_DIGEST>. The image is labelled
# pinned so the kubelet's image garbage collection never removes it (it cannot be pulled back).
# Idempotent: an image already present with that digest and complete content is left alone.
# Env: IMAGE_ARCHIVE (where the copy landed), IMAGE_ARCHIVE_SHA256, IMAGE_REPOSITORY, IMAGE_DIGEST,
#      K3S_BIN (default /usr/local/bin/k3s).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

: "${IMAGE_ARCHIVE:?}" "${IMAGE_ARCHIVE_SHA256:?}" "${IMAGE_REPOSITORY:?}" "${IMAGE_DIGEST:?}"
[[ "$IMAGE_DIGEST" =~ ^sha256:[0-9a-f]{64}$ ]] || die "IMAGE_DIGEST '$IMAGE_DIGEST' is not sha256:<64 hex>"
[[ "$IMAGE_ARCHIVE_SHA256" =~ ^[0-9a-f]{64}$ ]] || die "IMAGE_ARCHIVE_SHA256 '$IMAGE_ARCHIVE_SHA256' is not 64 hex characters"
k3s_bin="${K3S_BIN:-/usr/local/bin/k3s}"
[[ -x "$k3s_bin" ]] || die "$k3s_bin not found; the host's k3s-install step must run first"

ref="$IMAGE_REPOSITORY@$IMAGE_DIGEST"
ctr_k8s() { "$k3s_bin" ctr -n k8s.io "$@"; }

image_complete() {
    ctr_k8s images ls -q | grep -Fxq "$ref" || return 1
    # "complete" only when every blob of the image is in the content store.
    ctr_k8s images check "name==$ref" | grep -q ' complete '
}

ensure_pinned() {
    ctr_k8s images label "$ref" io.cri-containerd.pinned=pinned >/dev/null
}

store="$EDGE_STATE_DIR/images"
kept="$store/$(basename "$IMAGE_ARCHIVE")"

if image_complete; then
    ensure_pinned
    rm -f -- "$IMAGE_ARCHIVE"
    log "$ref already imported and complete; nothing changed"
    exit 0
fi

archive="$IMAGE_ARCHIVE"
[[ -e "$archive" || -L "$archive" ]] || archive="$kept"
[[ ! -L "$archive" ]] || die "image archive $archive is a symlink; refusing (the copy may have landed in a shared directory such as /tmp)"
[[ -f "$archive" ]] || die "image archive $IMAGE_ARCHIVE was not copied to this host (and no kept copy in $store); run pulumi up again"

# Copy into the root-only store first and verify that copy: nothing can swap the file between check and use.
mkdir -p "$store"
chmod 0700 "$store"
incoming="$(mktemp "$store/.incoming.XXXXXX")"
trap 'rm -f -- "$incoming"' EXIT
cat -- "$archive" >"$incoming"
actual="$(sha256_of "$incoming")"
[[ "$actual" == "$IMAGE_ARCHIVE_SHA256" ]] || die "image archive $archive has sha256 $actual, expected $IMAGE_ARCHIVE_SHA256 (corrupted copy?); run pulumi up again"
chmod 0600 "$incoming"
mv -f -- "$incoming" "$kept"
trap - EXIT
[[ "$archive" == "$kept" ]] || rm -f -- "$archive"

# --all-platforms: the image is wasi/wasm, which the host-platform filter would otherwise drop.
# --base-name + --digests: name the image <repository>@<manifest digest>, exactly what the pod spec pins.
ctr_k8s images import --all-platforms --base-name "$IMAGE_REPOSITORY" --digests "$kept" >/dev/null
image_complete || die "import of $kept did not produce a complete image $ref (is the archive's manifest digest $IMAGE_DIGEST?)"
ensure_pinned

# Older versions: unpin (the kubelet may collect them once no pod uses them) and drop their archives.
while read -r old; do
    [[ -n "$old" && "$old" != "$ref" ]] || continue
    ctr_k8s images label "$old" io.cri-containerd.pinned= >/dev/null
    log "unpinned previous version $old"
done < <(ctr_k8s images ls -q | grep -F "$IMAGE_REPOSITORY@sha256:" || true)
find "$store" -maxdepth 1 -type f -name '*.oci.tar' ! -name "$(basename "$kept")" -delete
log "imported $ref from $(basename "$kept")"
