/**
 * Every digest the estate trusts, in one catalogue: the artifacts hosts install, the Gatekeeper chart and the
 * container images of the add-ons. Sources are recorded in docs/pinned-artifacts.md. Nothing is installed or
 * pulled by tag alone: a version without a pin here (or, for host artifacts, under
 * `edge-estate:artifacts.checksums` in the stack) is refused.
 *
 * The tracking service's image is not pinned here: its digest is read from the OCI archive the build produces
 * (components/addons/tracking/image.ts), so it is always the digest of what is shipped.
 */
import type { ArtifactChecksums, Versions } from "./config/types";

/**
 * sha256 of the K3s binaries, airgap images, install.sh and shim tarballs, per version and architecture.
 * Empty: the v1.30.4+k3s1 and runwasi v0.6.0 digests could not be obtained offline (docs/pinned-artifacts.md);
 * `scripts/fetch-artifacts.sh` prints them on a connected machine, and stacks pin them under
 * `edge-estate:artifacts.checksums` until they are recorded here.
 */
export const ARTIFACT_CHECKSUMS: ArtifactChecksums = {
    k3s: {},
    k3sAirgapImages: {},
    k3sInstallScript: {},
    wasmedgeShim: {},
};

/** sha256 of gatekeeper-<version>.tgz, from the chart repository's index.yaml. */
export const GATEKEEPER_CHART_SHA256: Record<string, string> = {
    "3.15.1": "b1d6c138256b7df91b89c438bb739c1bdb6f95c41cfa165c282152cd8c5e5047",
    "3.15.0": "82abb8b25d00c287e0bb142434d338d43ab25663877e014e37496253810cf24d",
};

export type ImageKey = Extract<keyof Versions, "mosquitto" | "prometheus" | "grafana" | "nodeExporter">;

/** Container images by the version key that selects them: repository and tag -> index digest. */
export const IMAGE_PINS: Record<ImageKey, { repository: string; digests: Record<string, string> }> = {
    mosquitto: {
        // A Docker Official Image.
        repository: "eclipse-mosquitto",
        digests: {
            "2.0.18": "sha256:d12c8f80dfc65b768bb9acecc7ef182b976f71fb681640b66358e5e0cf94e9e9",
            "2.0.20": "sha256:21421af7b32bf9ce508e9090c8eb13bb81f410ca778dc205506180a6f862d0eb",
        },
    },
    prometheus: {
        repository: "prom/prometheus",
        digests: {
            "v2.53.0": "sha256:075b1ba2c4ebb04bc3a6ab86c06ec8d8099f8fda1c96ef6d104d9bb1def1d8bc",
            "v2.53.1": "sha256:f20d3127bf2876f4a1df76246fca576b41ddf1125ed1c546fbd8b16ea55117e6",
            "v2.53.5": "sha256:7a34573f0b9c952286b33d537f233cd5b708e12263733aa646e50c33f598f16c",
        },
    },
    grafana: {
        repository: "grafana/grafana",
        digests: {
            "11.2.0": "sha256:408afb9726de5122b00a2576763a8a57a3c86d5b0eff5305bc994ceb3eb96c3f",
            "11.1.0": "sha256:079600c9517b678c10cda6006b4487d3174512fd4c6cface37df7822756ed7a5",
        },
    },
    nodeExporter: {
        repository: "prom/node-exporter",
        digests: {
            "v1.8.2": "sha256:4032c6d5bfd752342c3e631c2f1de93ba6b86c41db6b167b9a35372c139e7706",
        },
    },
};

export class UnpinnedImageError extends Error {
    constructor(key: ImageKey, version: string) {
        const { repository, digests } = IMAGE_PINS[key];
        super(
            `edge-estate:versions.${key}: ${JSON.stringify(version)} has no pinned image digest for ${repository} ` +
                `(pinned: ${Object.keys(digests).join(", ")}); add its index digest to IMAGE_PINS in components/pins.ts`,
        );
        this.name = "UnpinnedImageError";
    }
}

/** `<repository>:<tag>@sha256:...`: the tag documents, the digest decides what runs. */
export function pinnedImage<K extends ImageKey>(key: K, versions: Pick<Versions, K>): string {
    const tag = versions[key];
    const digest = IMAGE_PINS[key].digests[tag];
    if (!digest) throw new UnpinnedImageError(key, tag);
    return `${IMAGE_PINS[key].repository}:${tag}@${digest}`;
}
