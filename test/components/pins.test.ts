// components/pins.ts: the one catalogue of digests. Every pin must be one docs/pinned-artifacts.md records with
// its source (the document is where a digest's provenance lives; a pin without it is an unexplained number).
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ARTIFACT_CHECKSUMS, GATEKEEPER_CHART_SHA256, IMAGE_PINS, pinnedImage, UnpinnedImageError } from "../../components/pins";

const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "pinned-artifacts.md"), "utf8");

describe("pins catalogue", () => {
    it("every chart and image digest is recorded, with its tag, in docs/pinned-artifacts.md", () => {
        const digests = [...Object.values(GATEKEEPER_CHART_SHA256), ...Object.values(IMAGE_PINS).flatMap((p) => Object.values(p.digests).map((d) => d.replace(/^sha256:/, "")))];
        expect(digests.length).toBe(10);
        for (const d of digests) expect(doc, d).toContain(d);
    });

    it("host artifact digests are still unpinned (none could be obtained offline); the document says so", () => {
        expect(ARTIFACT_CHECKSUMS).toEqual({ k3s: {}, k3sAirgapImages: {}, k3sInstallScript: {}, wasmedgeShim: {} });
        expect(doc).toMatch(/Not found/);
    });

    it("builds repository:tag@digest and refuses an unpinned tag naming the key", () => {
        expect(pinnedImage("mosquitto", { mosquitto: "2.0.18" })).toBe("eclipse-mosquitto:2.0.18@sha256:d12c8f80dfc65b768bb9acecc7ef182b976f71fb681640b66358e5e0cf94e9e9");
        expect(() => pinnedImage("grafana", { grafana: "9.9.9" })).toThrow(UnpinnedImageError);
        expect(() => pinnedImage("grafana", { grafana: "9.9.9" })).toThrow(/edge-estate:versions\.grafana: "9\.9\.9" has no pinned image digest for grafana\/grafana/);
    });
});
