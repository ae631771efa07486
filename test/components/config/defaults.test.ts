// Pulumi.yaml's config schema and components/config/defaults.ts are the same numbers, and every key the program
// reads is declared with a type and a description.
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { DEFAULT_ARTIFACTS, DEFAULT_BACKUPS, DEFAULT_BUDGET, DEFAULT_HEALTH_GATE, DEFAULT_SSH, DEFAULT_TRACKING, DEFAULT_VERSIONS } from "../../../components/config/defaults";
import { toBytes, toMilliCpu } from "../../../components/config/quantity";

const root = path.join(__dirname, "..", "..", "..");
const project = yaml.load(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as any;

describe("Pulumi.yaml", () => {
    it("is a TypeScript nodejs project named edge-estate", () => {
        expect(project.name).toBe("edge-estate");
        expect(project.runtime.name).toBe("nodejs");
        expect(project.runtime.options.typescript).toBe(true);
    });

    it("declares every config key with a type and a description; arrays have items", () => {
        const keys = ["region", "sites", "sshPrivateKey", "versions", "artifacts", "registries", "budget", "tracking", "monitoring", "rollout", "healthGate", "backups", "ssh", "devices"];
        expect(Object.keys(project.config).sort()).toEqual([...keys].sort());
        for (const k of keys) {
            expect(["string", "integer", "boolean", "array", "object"], k).toContain(project.config[k].type);
            expect(String(project.config[k].description).length, k).toBeGreaterThan(20);
            if (project.config[k].type === "array") expect(project.config[k].items, k).toBeDefined();
        }
        expect(project.config.sshPrivateKey.secret).toBe(true);
    });

    it("has defaults equal to components/config/defaults.ts", () => {
        expect(project.config.versions.default).toEqual(DEFAULT_VERSIONS);
        expect(project.config.budget.default).toEqual(DEFAULT_BUDGET);
        expect(project.config.tracking.default).toEqual(DEFAULT_TRACKING);
        expect(project.config.ssh.default).toEqual(DEFAULT_SSH);
        expect(project.config.healthGate.default).toEqual(DEFAULT_HEALTH_GATE);
        expect(project.config.backups.default).toEqual(DEFAULT_BACKUPS);
        expect(project.config.artifacts.default).toEqual({ ...DEFAULT_ARTIFACTS, checksums: {} });
    });

    it("pins K3s v1.30.4+k3s1 and the runwasi WasmEdge shim v0.6.0", () => {
        expect(DEFAULT_VERSIONS.k3s).toBe("v1.30.4+k3s1");
        expect(DEFAULT_VERSIONS.wasmedgeShim).toBe("v0.6.0");
    });
});

describe("default budget", () => {
    it("fits the add-ons a server site runs inside a 2 vCPU / 4 GiB host after the K3s reserve", () => {
        const host = { cpu: toMilliCpu(DEFAULT_BUDGET.host.cpu), mem: toBytes(DEFAULT_BUDGET.host.memory) };
        const reserve = DEFAULT_BUDGET.k3sReserve.server;
        const siteComponents = ["tracking", "broker", "gatekeeperController", "gatekeeperAudit", "prometheusAgent", "nodeExporter"];
        const cpu = siteComponents.reduce((a, c) => a + toMilliCpu(DEFAULT_BUDGET.components[c].requests.cpu), toMilliCpu(reserve.cpu));
        const mem = siteComponents.reduce((a, c) => a + toBytes(DEFAULT_BUDGET.components[c].requests.memory), toBytes(reserve.memory));
        expect(cpu).toBeLessThan(host.cpu);
        expect(mem).toBeLessThan(host.mem);
    });

    it("keeps the tracking service within the seed's Wasm budget (requests 50m/128Mi, limits 200m/256Mi)", () => {
        expect(DEFAULT_BUDGET.components.tracking).toEqual({ requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } });
        expect(toMilliCpu(DEFAULT_BUDGET.classes.wasm.cpu)).toBe(1000);
        expect(toBytes(DEFAULT_BUDGET.classes.wasm.memory)).toBe(256 * 2 ** 20);
    });
});
