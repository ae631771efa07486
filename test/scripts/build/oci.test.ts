// The Docker-free OCI image builder, checked with the real image tools (skopeo, umoci, tar).
import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOci } from "../../../scripts/build/oci";

let tmp: string;
let wasmPath: string;
let configPath: string;

const sha256 = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: "utf8" });

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "build-oci-"));
  // Any module will do for the image builder: the committed tracking module.
  wasmPath = path.join(__dirname, "..", "..", "..", "wasm-app", "dist", "logistics-system.wasm");
  configPath = path.join(tmp, "config.json");
  fs.writeFileSync(configPath, JSON.stringify({ HTTP_PORT: 8080, DATA_DIR: "/data" }, null, 2));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("build-oci", () => {
  it("skopeo sees a wasi/wasm image with Entrypoint /app.wasm and the returned manifest digest", async () => {
    const out = path.join(tmp, "inspect.oci.tar");
    const { manifestDigest } = await buildOci({ wasmPath, configPath, outPath: out, refName: "v1" });
    expect(manifestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const info = JSON.parse(execFileSync("skopeo", ["inspect", `oci-archive:${out}:v1`], { encoding: "utf8" }));
    expect(info.Architecture).toBe("wasm");
    expect(info.Os).toBe("wasi");
    expect(info.Digest).toBe(manifestDigest);
    expect(info.Layers).toHaveLength(1);
    const config = JSON.parse(execFileSync("skopeo", ["inspect", "--config", `oci-archive:${out}:v1`], { encoding: "utf8" }));
    expect(config.config.Entrypoint).toEqual(["/app.wasm"]);
    expect(config.rootfs.diff_ids).toHaveLength(1);
    const manifest = JSON.parse(execFileSync("skopeo", ["inspect", "--raw", `oci-archive:${out}:v1`], { encoding: "utf8" }));
    expect(manifest.annotations["module.wasm.image/variant"]).toBe("compat-smart");
    expect(manifest.layers[0].mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
  });

  it("is byte-identical from build to build, and changes when the module changes", async () => {
    const a = path.join(tmp, "a.oci.tar");
    const b = path.join(tmp, "b.oci.tar");
    const c = path.join(tmp, "c.oci.tar");
    const ra = await buildOci({ wasmPath, configPath, outPath: a });
    const rb = await buildOci({ wasmPath, configPath, outPath: b });
    expect(sha256(a)).toBe(sha256(b));
    expect(ra.manifestDigest).toBe(rb.manifestDigest);
    const other = path.join(tmp, "other.wasm");
    fs.writeFileSync(other, Buffer.concat([fs.readFileSync(wasmPath), Buffer.from([0, 1, 0])]));
    const rc = await buildOci({ wasmPath: other, configPath, outPath: c });
    expect(rc.manifestDigest).not.toBe(ra.manifestDigest);
  });

  it("skopeo copy verifies every digest, and rejects a tampered blob", async () => {
    const out = path.join(tmp, "copy.oci.tar");
    const layout = path.join(tmp, "layout");
    const { manifestDigest } = await buildOci({ wasmPath, configPath, outPath: out, layoutDir: layout });
    const ok = run("skopeo", ["copy", `oci:${layout}:latest`, `dir:${path.join(tmp, "copied")}`]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(sha256(path.join(tmp, "copied", "manifest.json"))).toBe(manifestDigest.slice(7));
    const fromArchive = run("skopeo", ["copy", `oci-archive:${out}`, `dir:${path.join(tmp, "copied2")}`]);
    expect(fromArchive.status, fromArchive.stderr).toBe(0);

    // flip one byte of the layer blob
    const manifest = JSON.parse(fs.readFileSync(path.join(layout, "blobs/sha256", manifestDigest.slice(7)), "utf8"));
    const layerFile = path.join(layout, "blobs/sha256", manifest.layers[0].digest.slice(7));
    const bytes = fs.readFileSync(layerFile);
    bytes[bytes.length - 10] ^= 0xff;
    fs.writeFileSync(layerFile, bytes);
    const bad = run("skopeo", ["copy", `oci:${layout}:latest`, `dir:${path.join(tmp, "copied3")}`]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/[Dd]igest did not match/);
  });

  it("umoci raw unpack yields /app.wasm equal to the input (0555) and /config.json (0444)", async () => {
    const out = path.join(tmp, "umoci.oci.tar");
    const layout = path.join(tmp, "umoci-layout");
    await buildOci({ wasmPath, configPath, outPath: out, layoutDir: layout, refName: "v2" });
    const rootfs = path.join(tmp, "rootfs");
    const r = run("umoci", ["raw", "unpack", "--image", `${layout}:v2`, rootfs]);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(rootfs, "app.wasm")).equals(fs.readFileSync(wasmPath))).toBe(true);
    expect(fs.statSync(path.join(rootfs, "app.wasm")).mode & 0o777).toBe(0o555);
    expect(fs.statSync(path.join(rootfs, "config.json")).mode & 0o777).toBe(0o444);
    expect(fs.readFileSync(path.join(rootfs, "config.json"), "utf8")).toBe(fs.readFileSync(configPath, "utf8"));
    expect(fs.readdirSync(rootfs).sort()).toEqual(["app.wasm", "config.json"]);
  });

  it("the layer tar carries mtime 0 and uid/gid 0 (GNU tar listing)", async () => {
    const layout = path.join(tmp, "tar-layout");
    const { manifestDigest } = await buildOci({ wasmPath, configPath, outPath: path.join(tmp, "t.oci.tar"), layoutDir: layout });
    const manifest = JSON.parse(fs.readFileSync(path.join(layout, "blobs/sha256", manifestDigest.slice(7)), "utf8"));
    const layerFile = path.join(layout, "blobs/sha256", manifest.layers[0].digest.slice(7));
    const listing = execFileSync("tar", ["--numeric-owner", "--full-time", "-tvzf", layerFile], {
      encoding: "utf8",
      env: { ...process.env, TZ: "UTC" },
    });
    const lines = listing.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^-r-xr-xr-x 0\/0 +\d+ 1970-01-01 00:00:00 app\.wasm$/);
    expect(lines[1]).toMatch(/^-r--r--r-- 0\/0 +\d+ 1970-01-01 00:00:00 config\.json$/);
  });

  it("refuses bad input with a clear message and no stack trace", async () => {
    const notWasm = path.join(tmp, "not.wasm");
    fs.writeFileSync(notWasm, "hello world, not wasm");
    await expect(buildOci({ wasmPath: notWasm, configPath, outPath: path.join(tmp, "x.tar") })).rejects.toThrow(
      /not a WebAssembly binary/,
    );
    const badJson = path.join(tmp, "bad.json");
    fs.writeFileSync(badJson, "{");
    await expect(buildOci({ wasmPath, configPath: badJson, outPath: path.join(tmp, "x.tar") })).rejects.toThrow(
      /config.json is not valid JSON/,
    );
    const cli = path.resolve(__dirname, "../../../scripts/build/oci.ts");
    const r = spawnSync(process.execPath, ["--require", require.resolve("tsx/cjs"), cli, "--wasm", path.join(tmp, "missing.wasm"), "--config", configPath, "--out", path.join(tmp, "y.tar")], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^build-oci: cannot read Wasm module .*missing\.wasm: ENOENT/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const usage = spawnSync(process.execPath, ["--require", require.resolve("tsx/cjs"), cli, "--wasm"], { encoding: "utf8" });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("usage: scripts/build/oci.ts");
  });
});
