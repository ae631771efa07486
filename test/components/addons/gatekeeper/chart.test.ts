// components/addons/gatekeeper/chart.ts: the chart source per artifact mode (official repository pinned to the
// version, or the cached .tgz only when its sha256 is the pin) and the small-host values from the budget.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GATEKEEPER_CHART_REPO, gatekeeperChartSource, gatekeeperChartValues } from "../../../../components/addons/gatekeeper/chart";
import { GATEKEEPER_CHART_SHA256 } from "../../../../components/pins";
import { loadStackFile } from "../../../../components/config/load";
import type { EstateConfig } from "../../../../components/config/types";

const root = path.join(__dirname, "..", "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
let dir: string;
const airgap = (cacheDir: string): EstateConfig => ({ ...config, artifacts: { ...config.artifacts, mode: "airgap", cacheDir } });

beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-gk-chart-"));
});
afterAll(() => {
    delete GATEKEEPER_CHART_SHA256["0.0.1"];
    fs.rmSync(dir, { recursive: true, force: true });
});

describe("gatekeeperChartSource", () => {
    it("uses the official repository and the pinned version in download mode", () => {
        expect(gatekeeperChartSource(config, "3.15.1", root)).toEqual({ source: { chart: "gatekeeper", version: "3.15.1", repositoryOpts: { repo: GATEKEEPER_CHART_REPO } } });
        expect(config.versions.gatekeeper).toBe("3.15.1");
    });

    it("in air-gapped mode warns with the script to run when the chart is not cached (synth and previews go on)", () => {
        const r = gatekeeperChartSource(airgap("cache"), "3.15.1", dir);
        expect(r.source).toEqual({ chart: path.join(dir, "cache", "gatekeeper-3.15.1.tgz") });
        expect(r.warning).toMatch(/run scripts\/fetch-gatekeeper-chart\.sh --version 3\.15\.1 --cache-dir cache/);
    });

    it("refuses a cached chart whose sha256 is not the pin, and an unpinned version", () => {
        fs.mkdirSync(path.join(dir, "cache"), { recursive: true });
        fs.writeFileSync(path.join(dir, "cache", "gatekeeper-3.15.1.tgz"), "tampered");
        expect(() => gatekeeperChartSource(airgap("cache"), "3.15.1", dir)).toThrow(/not the pinned b1d6c138/);
        expect(() => gatekeeperChartSource(airgap("cache"), "3.16.0", dir)).toThrow(/has no pinned chart sha256/);
    });

    it("installs from the verified local .tgz", () => {
        const file = path.join(dir, "cache", "gatekeeper-0.0.1.tgz");
        fs.writeFileSync(file, "stand-in");
        GATEKEEPER_CHART_SHA256["0.0.1"] = createHash("sha256").update("stand-in").digest("hex");
        expect(gatekeeperChartSource(airgap("cache"), "0.0.1", dir)).toEqual({ source: { chart: file } });
    });
});

describe("gatekeeperChartValues", () => {
    it("runs one controller replica and keeps audit, both sized from the budget", () => {
        const v = gatekeeperChartValues(config) as any;
        expect(v.replicas).toBe(1);
        expect(v.disableAudit).toBeUndefined();
        expect(v.controllerManager.resources).toEqual(config.budget.components.gatekeeperController);
        expect(v.audit.resources).toEqual(config.budget.components.gatekeeperAudit);
        expect(v.pdb.controllerManager.minAvailable).toBe(0);
    });

    it("follows a changed budget", () => {
        const small = { ...config, budget: { ...config.budget, components: { ...config.budget.components, gatekeeperAudit: { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "100m", memory: "128Mi" } } } } };
        expect((gatekeeperChartValues(small) as any).audit.resources.limits).toEqual({ cpu: "100m", memory: "128Mi" });
    });
});
