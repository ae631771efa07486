/**
 * Container images of the monitoring stack, pinned by digest. Digests are the multi-arch index digests recorded
 * in docs/pinned-artifacts.md; a version without a recorded digest is refused rather than pulled by tag.
 */
import type { Versions } from "../../config/types";

type ImageKey = "prometheus" | "grafana" | "nodeExporter";

const REPOSITORIES: Record<ImageKey, string> = {
    prometheus: "prom/prometheus",
    grafana: "grafana/grafana",
    nodeExporter: "prom/node-exporter",
};

/** repository -> tag -> sha256 digest. Add a row here (from the release's index digest) to allow another version. */
export const IMAGE_DIGESTS: Record<ImageKey, Record<string, string>> = {
    prometheus: {
        "v2.53.0": "sha256:075b1ba2c4ebb04bc3a6ab86c06ec8d8099f8fda1c96ef6d104d9bb1def1d8bc",
        "v2.53.1": "sha256:f20d3127bf2876f4a1df76246fca576b41ddf1125ed1c546fbd8b16ea55117e6",
        "v2.53.5": "sha256:7a34573f0b9c952286b33d537f233cd5b708e12263733aa646e50c33f598f16c",
    },
    grafana: {
        "11.2.0": "sha256:408afb9726de5122b00a2576763a8a57a3c86d5b0eff5305bc994ceb3eb96c3f",
        "11.1.0": "sha256:079600c9517b678c10cda6006b4487d3174512fd4c6cface37df7822756ed7a5",
    },
    nodeExporter: {
        "v1.8.2": "sha256:4032c6d5bfd752342c3e631c2f1de93ba6b86c41db6b167b9a35372c139e7706",
    },
};

export class UnpinnedImageError extends Error {
    constructor(key: ImageKey, version: string) {
        const known = Object.keys(IMAGE_DIGESTS[key]).join(", ");
        super(
            `edge-estate:versions.${key}: ${JSON.stringify(version)} has no pinned image digest for ${REPOSITORIES[key]} ` +
                `(pinned: ${known}); add its index digest to IMAGE_DIGESTS in components/addons/monitoring/images.ts`,
        );
        this.name = "UnpinnedImageError";
    }
}

/** `<repository>:<tag>@sha256:...`: the tag documents, the digest decides what runs. */
export function monitoringImage(key: ImageKey, versions: Versions): string {
    const tag = versions[key];
    const digest = IMAGE_DIGESTS[key][tag];
    if (!digest) throw new UnpinnedImageError(key, tag);
    return `${REPOSITORIES[key]}:${tag}@${digest}`;
}
