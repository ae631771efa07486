/**
 * The tracking service's OCI image archive (wasm-app/dist/logistics-system.oci.tar, built by `npm run build:wasm`):
 * reads its index.json at program time to get the manifest digest the Deployment pins, and the archive's own
 * sha256 the host verifies after the copy. Dependency-free tar reading (ustar + pax path records).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { LOCAL_IMAGE_REPOSITORY } from "../../constants";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..", "..");
/** Where `npm run build:wasm` writes the archive (relative to the project root). */
export const DEFAULT_OCI_ARCHIVE = path.join("wasm-app", "dist", "logistics-system.oci.tar");
/** Overrides the archive path (tests, or a CI job that built it elsewhere). */
export const OCI_ARCHIVE_ENV = "EDGE_TRACKING_OCI_ARCHIVE";
export { LOCAL_IMAGE_REPOSITORY };

export class ImageArchiveError extends Error {}

export interface OciArchiveInfo {
    /** Absolute path of the archive on this machine. */
    path: string;
    /** sha256 of the archive file (hex), checked on the host after the copy. */
    archiveSha256: string;
    /** Digest of the image manifest the index points at ("sha256:<hex>"): what the Deployment pins. */
    manifestDigest: string;
    /** platform of that manifest, e.g. "wasi/wasm". */
    platform: string;
    sizeBytes: number;
}

export function ociArchivePath(env: NodeJS.ProcessEnv = process.env): string {
    return path.resolve(PROJECT_ROOT, env[OCI_ARCHIVE_ENV] || DEFAULT_OCI_ARCHIVE);
}

interface TarEntry {
    name: string;
    data: Buffer;
}

function parseOctal(buf: Buffer): number {
    const s = buf.toString("ascii").replace(/\0.*$/s, "").trim();
    return s ? parseInt(s, 8) : 0;
}

/** Regular files of a tar archive (ustar, GNU or pax headers), names without a leading "./". */
export function readTarFiles(tar: Buffer): TarEntry[] {
    const out: TarEntry[] = [];
    let offset = 0;
    let paxPath: string | undefined;
    while (offset + 512 <= tar.length) {
        const header = tar.subarray(offset, offset + 512);
        if (header.every((b) => b === 0)) break;
        const size = parseOctal(header.subarray(124, 136));
        const type = String.fromCharCode(header[156] || 48);
        const name = header.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
        const prefix = header.subarray(257, 263).toString("ascii").startsWith("ustar") ? header.subarray(345, 500).toString("utf8").replace(/\0.*$/s, "") : "";
        const dataStart = offset + 512;
        if (dataStart + size > tar.length) throw new ImageArchiveError(`truncated tar entry ${name}`);
        const data = tar.subarray(dataStart, dataStart + size);
        if (type === "x") {
            const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString("utf8"));
            paxPath = m ? m[1] : undefined;
        } else {
            const full = paxPath ?? (prefix ? `${prefix}/${name}` : name);
            paxPath = undefined;
            if (type === "0" || type === "\0") out.push({ name: full.replace(/^\.\//, ""), data });
        }
        offset = dataStart + Math.ceil(size / 512) * 512;
    }
    return out;
}

/** Reads and checks an OCI image archive; throws ImageArchiveError naming the problem. */
export function inspectOciArchive(file: string): OciArchiveInfo {
    if (!fs.existsSync(file)) {
        throw new ImageArchiveError(
            `the tracking-service image archive ${path.relative(PROJECT_ROOT, file) || file} does not exist; run \`npm run build:wasm\` first ` +
                `(or set edge-estate:tracking.registryImage to deploy from a registry)`,
        );
    }
    const tar = fs.readFileSync(file);
    let files: TarEntry[];
    try {
        files = readTarFiles(tar);
    } catch (e) {
        throw new ImageArchiveError(`${file} is not a readable tar archive: ${(e as Error).message}; rebuild it with \`npm run build:wasm\``);
    }
    const byName = new Map(files.map((f) => [f.name, f.data]));
    const indexText = byName.get("index.json");
    if (!indexText || !byName.has("oci-layout")) throw new ImageArchiveError(`${file} is not an OCI image layout archive (no index.json/oci-layout); rebuild it with \`npm run build:wasm\``);
    let index: { manifests?: { mediaType?: string; digest?: string; platform?: { os?: string; architecture?: string } }[] };
    try {
        index = JSON.parse(indexText.toString("utf8"));
    } catch {
        throw new ImageArchiveError(`${file}: index.json is not JSON`);
    }
    const manifests = index.manifests ?? [];
    if (manifests.length !== 1) throw new ImageArchiveError(`${file}: index.json must list exactly one image manifest, found ${manifests.length}`);
    const [m] = manifests;
    if (m.mediaType !== "application/vnd.oci.image.manifest.v1+json") {
        // A nested index (e.g. buildx provenance) would make the pinned digest point at an index, not the Wasm image.
        throw new ImageArchiveError(`${file}: index.json points at ${m.mediaType}, expected a single application/vnd.oci.image.manifest.v1+json`);
    }
    const digest = m.digest ?? "";
    const hex = /^sha256:([a-f0-9]{64})$/.exec(digest)?.[1];
    if (!hex) throw new ImageArchiveError(`${file}: manifest digest ${JSON.stringify(digest)} is not sha256:<64 hex>`);
    const blob = byName.get(`blobs/sha256/${hex}`);
    if (!blob) throw new ImageArchiveError(`${file}: manifest blob blobs/sha256/${hex} is missing`);
    if (createHash("sha256").update(blob).digest("hex") !== hex) throw new ImageArchiveError(`${file}: manifest blob does not match its digest ${digest}`);
    const platform = m.platform ? `${m.platform.os}/${m.platform.architecture}` : "unknown";
    return {
        path: file,
        archiveSha256: createHash("sha256").update(tar).digest("hex"),
        manifestDigest: digest,
        platform,
        sizeBytes: tar.length,
    };
}

/** Image reference the Deployment uses for an imported archive: repository@digest. */
export function localImageRef(manifestDigest: string): string {
    return `${LOCAL_IMAGE_REPOSITORY}@${manifestDigest}`;
}
