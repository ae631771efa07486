/**
 * Test fixture: a small but complete OCI image archive in the shape the wasm-app build produces (FROM scratch,
 * /app.wasm, platform wasi/wasm, one manifest in index.json), written with tar-stream. Used where the test must
 * not depend on `npm run build:wasm` having run; the module bytes are a valid empty Wasm module.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { gzipSync } from "node:zlib";
import * as tarStream from "tar-stream";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function tarOf(entries: { name: string; data: Buffer }[]): Promise<Buffer> {
    const pack = tarStream.pack();
    const chunks: Buffer[] = [];
    pack.on("data", (c: unknown) => chunks.push(c as Buffer));
    const done = new Promise<void>((resolve, reject) => {
        pack.on("end", () => resolve());
        pack.on("error", reject);
    });
    for (const e of entries) pack.entry({ name: e.name, size: e.data.length, mtime: new Date(0), uid: 0, gid: 0, uname: "", gname: "", mode: 0o644 }, e.data);
    pack.finalize();
    await done;
    return Buffer.concat(chunks);
}

export interface OciFixture {
    path: string;
    manifestDigest: string;
}

/** Writes the archive to `file`; `tag` changes the module bytes so two fixtures get different digests. */
export async function writeOciFixture(file: string, tag = "v1"): Promise<OciFixture> {
    const wasm = Buffer.concat([Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]), Buffer.from([0x00, tag.length + 1, tag.length, ...Buffer.from(tag)])]);
    const layerTar = await tarOf([{ name: "app.wasm", data: wasm }]);
    const layer = gzipSync(layerTar);
    const config = Buffer.from(
        JSON.stringify({
            architecture: "wasm",
            os: "wasi",
            config: { Entrypoint: ["/app.wasm"] },
            rootfs: { type: "layers", diff_ids: [`sha256:${sha(layerTar)}`] },
        }),
    );
    const manifest = Buffer.from(
        JSON.stringify({
            schemaVersion: 2,
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${sha(config)}`, size: config.length },
            layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: `sha256:${sha(layer)}`, size: layer.length }],
        }),
    );
    const index = Buffer.from(
        JSON.stringify({
            schemaVersion: 2,
            mediaType: "application/vnd.oci.image.index.v1+json",
            manifests: [
                {
                    mediaType: "application/vnd.oci.image.manifest.v1+json",
                    digest: `sha256:${sha(manifest)}`,
                    size: manifest.length,
                    platform: { architecture: "wasm", os: "wasi" },
                    annotations: { "org.opencontainers.image.ref.name": tag },
                },
            ],
        }),
    );
    const archive = await tarOf([
        { name: "oci-layout", data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
        { name: "index.json", data: index },
        ...[config, manifest, layer].map((b) => ({ name: `blobs/sha256/${sha(b)}`, data: b })),
    ]);
    fs.writeFileSync(file, archive);
    return { path: file, manifestDigest: `sha256:${sha(manifest)}` };
}
