/**
 * Pinned sha256 digests of the artifacts hosts install. Hosts refuse any artifact whose digest differs.
 * Sources are recorded in docs/pinned-artifacts.md; a stack may add or override digests under
 * `edge-estate:artifacts.checksums` (e.g. when bumping a version).
 */
import type { ArtifactChecksums } from "./types";

export const DEFAULT_CHECKSUMS: ArtifactChecksums = {
    k3s: {},
    k3sAirgapImages: {},
    k3sInstallScript: {},
    wasmedgeShim: {},
};
