// Pure, deterministic OCI image builder for a "FROM scratch" Wasm image: bytes in, image out.
// The image follows the "compat" convention that crun/WasmEdge and runwasi run: platform wasi/wasm,
// one gzip layer holding /app.wasm and /config.json, Entrypoint ["/app.wasm"], and the
// module.wasm.image/variant=compat-smart annotation. Nothing depends on the clock, the user or the
// file system, so the same inputs always give the same bytes (and the same manifest digest).
import crypto from "node:crypto";
import zlib from "node:zlib";
import { pack as tarPack, type Header } from "tar-stream";

export const MEDIA = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

export const WASM_VARIANT_ANNOTATION = "module.wasm.image/variant";
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";
const EPOCH = new Date(0);

export interface OciImageInput {
  /** the WASI module, stored as /app.wasm (mode 0555) */
  wasm: Uint8Array;
  /** the default configuration, stored as /config.json (mode 0444) */
  config: Uint8Array;
  /** value of org.opencontainers.image.ref.name in index.json (the tag skopeo/ctr see) */
  refName: string;
}

export interface Blob {
  digest: string;
  size: number;
  bytes: Buffer;
}

export interface OciImage {
  /** "sha256:<hex>" of the image manifest: what a rollout pins the image by */
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
  /** sha256 of the uncompressed layer tar (rootfs.diff_ids) */
  diffId: string;
  /** files of the OCI image layout, path -> bytes, in archive order */
  layout: Array<[string, Buffer]>;
}

function blobOf(bytes: Buffer): Blob {
  return { digest: `sha256:${crypto.createHash("sha256").update(bytes).digest("hex")}`, size: bytes.length, bytes };
}

/** A tar with fixed metadata (mtime 0, uid/gid 0, no user names); entries in the given order. */
export async function deterministicTar(
  entries: Array<{ name: string; mode: number; data?: Uint8Array; type?: "file" | "directory" }>,
): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on("data", (c: unknown) => {
      chunks.push(c as Buffer);
    });
    pack.on("end", () => resolve(Buffer.concat(chunks)));
    pack.on("error", reject);
  });
  for (const e of entries) {
    const header: Partial<Header> & { name: string } = {
      name: e.name,
      mode: e.mode,
      mtime: EPOCH,
      uid: 0,
      gid: 0,
      uname: "",
      gname: "",
      type: e.type ?? "file",
    };
    if (header.type === "file") {
      const data = Buffer.from(e.data ?? new Uint8Array(0));
      header.size = data.length;
      await new Promise<void>((resolve, reject) =>
        pack.entry(header as Header, data, (err?: Error | null) => (err ? reject(err) : resolve())),
      );
    } else {
      await new Promise<void>((resolve, reject) =>
        pack.entry(header as Header, (err?: Error | null) => (err ? reject(err) : resolve())),
      );
    }
  }
  pack.finalize();
  return done;
}

/** gzip with a fixed header: Node's zlib writes mtime 0 and no file name. */
function gzip(data: Buffer): Buffer {
  return zlib.gzipSync(data, { level: 9, memLevel: 9 });
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}

const REF_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,254}$/;

export async function buildOciImage(input: OciImageInput): Promise<OciImage> {
  if (!(input.wasm instanceof Uint8Array) || input.wasm.length < 8) throw new Error("the Wasm module is empty");
  const magic = Buffer.from(input.wasm.subarray(0, 4)).toString("hex");
  if (magic !== "0061736d") throw new Error("the module is not a WebAssembly binary (bad magic number)");
  try {
    JSON.parse(Buffer.from(input.config).toString("utf8"));
  } catch (e) {
    throw new Error(`config.json is not valid JSON: ${(e as Error).message}`);
  }
  if (!REF_NAME.test(input.refName)) throw new Error(`invalid image ref name "${input.refName}"`);

  const layerTar = await deterministicTar([
    { name: "app.wasm", mode: 0o555, data: input.wasm },
    { name: "config.json", mode: 0o444, data: input.config },
  ]);
  const diffId = `sha256:${crypto.createHash("sha256").update(layerTar).digest("hex")}`;
  const layer = blobOf(gzip(layerTar));

  const imageConfig = blobOf(
    json({
      created: EPOCH.toISOString(),
      architecture: "wasm",
      os: "wasi",
      config: {
        Entrypoint: ["/app.wasm"],
        Labels: { [WASM_VARIANT_ANNOTATION]: "compat-smart" },
      },
      rootfs: { type: "layers", diff_ids: [diffId] },
      history: [{ created: EPOCH.toISOString(), created_by: "FROM scratch; COPY app.wasm config.json /" }],
    }),
  );

  const manifest = blobOf(
    json({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, digest: imageConfig.digest, size: imageConfig.size },
      layers: [{ mediaType: MEDIA.layerGzip, digest: layer.digest, size: layer.size }],
      annotations: { [WASM_VARIANT_ANNOTATION]: "compat-smart" },
    }),
  );

  const index = json({
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [
      {
        mediaType: MEDIA.manifest,
        digest: manifest.digest,
        size: manifest.size,
        platform: { architecture: "wasm", os: "wasi" },
        annotations: { [REF_NAME_ANNOTATION]: input.refName },
      },
    ],
  });

  const blobs = [imageConfig, layer, manifest].sort((a, b) => (a.digest < b.digest ? -1 : 1));
  const layout: Array<[string, Buffer]> = [
    ["oci-layout", json({ imageLayoutVersion: "1.0.0" })],
    ["index.json", index],
    ...blobs.map((b): [string, Buffer] => [`blobs/sha256/${b.digest.slice("sha256:".length)}`, b.bytes]),
  ];
  return { manifestDigest: manifest.digest, configDigest: imageConfig.digest, layerDigest: layer.digest, diffId, layout };
}

/** The image layout as one tar (an "oci-archive"), with directory entries and fixed metadata. */
export async function ociArchive(image: OciImage): Promise<Buffer> {
  return deterministicTar([
    { name: "blobs/", mode: 0o755, type: "directory" },
    { name: "blobs/sha256/", mode: 0o755, type: "directory" },
    ...image.layout.map(([name, data]) => ({ name, mode: 0o644, data })),
  ]);
}
