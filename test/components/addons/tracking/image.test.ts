// components/addons/tracking/image.ts: the digest the Deployment pins is read from the archive itself, checked
// against skopeo's view of the same archive, and every broken archive gets a message naming the fix.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectOciArchive, ociArchivePath, readTarFiles } from "../../../../components/addons/tracking/image";
import { writeOciFixture } from "./oci-fixture";

let dir: string;
beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-oci-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("inspectOciArchive", () => {
    it("reads the manifest digest and platform, and the archive sha256", async () => {
        const f = await writeOciFixture(path.join(dir, "a.oci.tar"));
        const info = inspectOciArchive(f.path);
        expect(info.manifestDigest).toBe(f.manifestDigest);
        expect(info.platform).toBe("wasi/wasm");
        expect(info.archiveSha256).toBe(spawnSync("sha256sum", [f.path], { encoding: "utf8" }).stdout.split(" ")[0]);
    });

    it("agrees with skopeo (Debian package) on the manifest digest", async () => {
        const f = await writeOciFixture(path.join(dir, "s.oci.tar"));
        const r = spawnSync("skopeo", ["inspect", "--raw", `oci-archive:${f.path}`], { encoding: "utf8" });
        expect(r.error, "Debian package skopeo must be installed").toBeUndefined();
        expect(r.status, r.stderr).toBe(0);
        const sha = require("node:crypto").createHash("sha256").update(r.stdout).digest("hex");
        expect(`sha256:${sha}`).toBe(inspectOciArchive(f.path).manifestDigest);
    });

    it("tells the user to run npm run build:wasm when the archive is missing", () => {
        expect(() => inspectOciArchive(path.join(dir, "missing.oci.tar"))).toThrow(/run `npm run build:wasm` first/);
    });

    it("rejects archives that are not a single-manifest OCI layout", async () => {
        fs.writeFileSync(path.join(dir, "junk.tar"), Buffer.alloc(1024));
        expect(() => inspectOciArchive(path.join(dir, "junk.tar"))).toThrow(/not an OCI image layout archive/);
        const f = await writeOciFixture(path.join(dir, "b.oci.tar"));
        const files = readTarFiles(fs.readFileSync(f.path));
        expect(files.map((x) => x.name)).toContain("index.json");
        // Flip one byte inside the manifest blob: the digest check must catch it.
        const tar = fs.readFileSync(f.path);
        const hex = f.manifestDigest.slice(7);
        const at = tar.indexOf(Buffer.from(`blobs/sha256/${hex}`)) + 512 + 10;
        tar[at] ^= 0xff;
        fs.writeFileSync(path.join(dir, "c.oci.tar"), tar);
        expect(() => inspectOciArchive(path.join(dir, "c.oci.tar"))).toThrow(/does not match its digest/);
    });

    it("resolves the archive path from the environment override or the build output", () => {
        expect(ociArchivePath({})).toMatch(/wasm-app\/dist\/logistics-system\.oci\.tar$/);
        expect(ociArchivePath({ EDGE_TRACKING_OCI_ARCHIVE: "/x/y.tar" })).toBe("/x/y.tar");
    });
});
