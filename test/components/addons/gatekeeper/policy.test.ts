// The Rego of our ConstraintTemplates, evaluated by a real OPA (test/support/opa.ts) with the Constraint
// parameters built from the prod stack's budget: good and bad workloads per template, our own add-on objects
// (and the monitoring add-on's) admitted, a Rego syntax error refused.
import * as path from "node:path";
import Ajv from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBrokerObjects } from "../../../../components/addons/broker/objects";
import {
    buildConstraints,
    buildConstraintTemplates,
    constraintParameters,
    EXEMPT_NAMESPACES,
    TEMPLATES,
} from "../../../../components/addons/gatekeeper/policy";
import { imageRepository } from "../../../../components/constants";
import { siteMonitoringObjects } from "../../../../components/addons/monitoring/objects";
import { localImageRef } from "../../../../components/addons/tracking/image";
import { buildTrackingObjects } from "../../../../components/addons/tracking/objects";
import { loadStackFile } from "../../../../components/config/load";
import type { KubeObject } from "../../../../components/k8s/apply";
import { closeOpa, evaluateGatekeeper, type GatekeeperCase } from "../../../support/opa";
import { planSite } from "../../../../components/plan";

const root = path.join(__dirname, "..", "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
const site = config.sites.find((s) => s.id === "sh-pudong")!;
const params = constraintParameters(config);
const regoOf = (kind: string) => {
    const t = buildConstraintTemplates().find((o) => (o.spec as any).crd.spec.names.kind === kind)!;
    return (t.spec as any).targets[0].rego as string;
};
const msgs = (r: { msg: string }[]) => r.map((v) => v.msg);

const good = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } };
const pod = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ object: { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "edge-system", ...extra }, spec } });
const deploy = (spec: Record<string, unknown>, labels: Record<string, string> = {}) => ({
    object: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: "edge-system" }, spec: { template: { metadata: { labels }, spec } } },
});
const cronjob = (spec: Record<string, unknown>) => ({
    object: { apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "c" }, spec: { jobTemplate: { spec: { template: { spec } } } } },
});

/** Every workload the add-ons deploy on a site: they must pass all three constraints. */
function ourWorkloads(): KubeObject[] {
    const objs = [
        ...buildTrackingObjects({
            site,
            schedulableHosts: planSite(config, site).schedulableHosts,
            namespace: "edge-system",
            image: localImageRef(`sha256:${"a".repeat(64)}`),
            imagePullPolicy: "Never",
            replicas: 2,
            httpPort: 8080,
            resources: config.budget.components.tracking,
            mqttCredentialsSecret: "mqtt-tracking-credentials",
        }),
        ...buildBrokerObjects({
            site,
            namespace: "edge-system",
            mosquittoVersion: config.versions.mosquitto,
            resources: config.budget.components.broker,
            pinnedHostId: "srv-a",
            passwordFile: "x",
            credentials: {},
        }),
        ...siteMonitoringObjects(planSite(config, site), "pw", "ca"),
    ];
    return objs.filter((o) => ["Deployment", "DaemonSet", "StatefulSet", "Job", "CronJob", "Pod"].includes(o.kind));
}

beforeAll(() => {
    expect(ourWorkloads().length).toBeGreaterThanOrEqual(4);
});
afterAll(() => closeOpa());

describe("EdgeContainerResources (budget from config)", () => {
    const rego = regoOf("EdgeContainerResources");
    const p = params.EdgeContainerResources;

    it("derives the class ceilings from budget.classes", () => {
        expect(p).toEqual({
            wasmRuntimeClassName: "wasmedge",
            ceilings: {
                wasm: { cpu: "1", cpuMilli: 1000, memory: "256Mi", memoryBytes: 256 * 2 ** 20 },
                default: { cpu: "1", cpuMilli: 1000, memory: "1Gi", memoryBytes: 2 ** 30 },
            },
        });
    });

    it("admits complete requests/limits within the class ceiling, in every workload kind", async () => {
        const cases: GatekeeperCase[] = [
            pod({ containers: [{ name: "a", image: "x", resources: good }] }),
            pod({ runtimeClassName: "wasmedge", containers: [{ name: "w", image: "x", resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "1", memory: "256Mi" } } }] }),
            deploy({ initContainers: [{ name: "i", image: "x", resources: good }], containers: [{ name: "a", image: "x", resources: { ...good, limits: { cpu: 1, memory: "1Gi" } } }] }),
            cronjob({ containers: [{ name: "a", image: "x", resources: { ...good, limits: { cpu: "0.5", memory: "1073741824" } } }] }),
            // Not a workload: nothing to check.
            { object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: {} } },
        ].map((review) => ({ review, parameters: p }));
        expect((await evaluateGatekeeper(rego, cases)).map(msgs)).toEqual([[], [], [], [], []]);
    });

    it("refuses missing requests/limits in containers and init containers", async () => {
        const [r1, r2] = await evaluateGatekeeper(rego, [
            { review: pod({ containers: [{ name: "a", image: "x", resources: { requests: good.requests } }] }), parameters: p },
            { review: deploy({ initContainers: [{ name: "init", image: "x", resources: { limits: good.limits } }], containers: [{ name: "a", image: "x", resources: good }] }), parameters: p },
        ]);
        expect(msgs(r1)).toEqual(['container "a" of Pod "p" must set resources.limits.cpu (edge-estate site budget)', 'container "a" of Pod "p" must set resources.limits.memory (edge-estate site budget)']);
        expect(msgs(r2)).toEqual([
            'init container "init" of Deployment "d" must set resources.requests.cpu (edge-estate site budget)',
            'init container "init" of Deployment "d" must set resources.requests.memory (edge-estate site budget)',
        ]);
    });

    it("holds Wasm pods to the wasm ceiling and everything else to the default ceiling", async () => {
        const wasm = (limits: Record<string, unknown>) => pod({ runtimeClassName: "wasmedge", containers: [{ name: "w", image: "x", resources: { requests: good.requests, limits } }] });
        const plain = (limits: Record<string, unknown>) => pod({ containers: [{ name: "c", image: "x", resources: { requests: good.requests, limits } }] });
        const results = await evaluateGatekeeper(
            rego,
            [wasm({ cpu: "200m", memory: "257Mi" }), wasm({ cpu: "1001m", memory: "256Mi" }), plain({ cpu: "200m", memory: "512Mi" }), plain({ cpu: 2, memory: "1.5Gi" }), plain({ cpu: "1", memory: "1025Mi" })].map((review) => ({
                review,
                parameters: p,
            })),
        );
        expect(results.map(msgs)).toEqual([
            ['container "w": memory limit 257Mi exceeds the wasm class ceiling 256Mi'],
            ['container "w": cpu limit 1001m exceeds the wasm class ceiling 1'],
            [],
            ['container "c": cpu limit 2 exceeds the default class ceiling 1', 'container "c": memory limit 1.5Gi exceeds the default class ceiling 1Gi'],
            ['container "c": memory limit 1025Mi exceeds the default class ceiling 1Gi'],
        ]);
    });

    it("refuses quantities it cannot read instead of letting them through", async () => {
        const [r] = await evaluateGatekeeper(rego, [{ review: pod({ containers: [{ name: "a", image: "x", resources: { requests: good.requests, limits: { cpu: "lots", memory: "2e9" } } }] }), parameters: p }]);
        expect(msgs(r)).toEqual([
            'container "a": cpu limit lots is not a CPU quantity this policy can read (use e.g. 500m or 1)',
            'container "a": memory limit 2e9 is not a memory quantity this policy can read (use e.g. 256Mi or 1Gi)',
        ]);
    });
});

describe("EdgeWasmRuntimeClass", () => {
    const rego = regoOf("EdgeWasmRuntimeClass");
    const p = params.EdgeWasmRuntimeClass;
    const wasmImage = localImageRef(`sha256:${"b".repeat(64)}`);

    it("requires runtimeClassName wasmedge for Wasm images and wasm-labelled pods only", async () => {
        const results = await evaluateGatekeeper(
            rego,
            [
                deploy({ runtimeClassName: "wasmedge", containers: [{ name: "t", image: wasmImage }] }),
                deploy({ containers: [{ name: "t", image: wasmImage }] }),
                deploy({ runtimeClassName: "crun", containers: [{ name: "t", image: wasmImage }] }),
                pod({ containers: [{ name: "t", image: "eclipse-mosquitto:2.0.18" }] }),
                deploy({ containers: [{ name: "t", image: "docker.io/prom/prometheus:v2.53.0" }] }, { "edge-estate/runtime": "wasm" }),
                cronjob({ initContainers: [{ name: "i", image: `${wasmImage.split("@")[0]}:v1` }], containers: [{ name: "c", image: "x" }] }),
            ].map((review) => ({ review, parameters: p })),
        );
        expect(results.map(msgs)).toEqual([
            [],
            [`container "t" runs the Wasm image ${wasmImage}: Deployment "d" must set runtimeClassName: wasmedge`],
            [`container "t" runs the Wasm image ${wasmImage}: Deployment "d" must set runtimeClassName: wasmedge`],
            [],
            ['Deployment "d" is labelled edge-estate/runtime=wasm and must set runtimeClassName: wasmedge'],
            [`init container "i" runs the Wasm image edge-estate.local/logistics-system:v1: CronJob "c" must set runtimeClassName: wasmedge`],
        ]);
    });
});

describe("EdgeAllowedRegistries", () => {
    const rego = regoOf("EdgeAllowedRegistries");
    const p = params.EdgeAllowedRegistries;

    it("admits the images the estate deploys and refuses everything else at path boundaries", async () => {
        const images = [
            "eclipse-mosquitto:2.0.18@sha256:d12c8f80dfc65b768bb9acecc7ef182b976f71fb681640b66358e5e0cf94e9e9",
            "prom/prometheus:v2.53.0",
            "quay.io/prometheus/node-exporter:v1.8.2",
            "grafana/grafana:11.2.0",
            localImageRef(`sha256:${"c".repeat(64)}`),
            "nginx:1.27",
            "docker.io/promx/evil:1",
            "edge-estate.local.evil.example/logistics-system:1",
            "localhost:5000/tool",
            "library/eclipse-mosquitto-fake",
        ];
        const results = await evaluateGatekeeper(
            rego,
            images.map((image) => ({ review: pod({ containers: [{ name: "c", image }] }), parameters: p })),
        );
        expect(results.slice(0, 5).map(msgs)).toEqual([[], [], [], [], []]);
        for (const [i, r] of results.slice(5).entries()) {
            const image = images[5 + i];
            expect(msgs(r), image).toHaveLength(1);
            // The Rego's normalised repository equals the TypeScript one (imageRepository) for every case.
            expect(r[0].msg).toContain(`uses image ${image} (${imageRepository(image)}), which is not from an allowed registry`);
        }
    });

    it("checks init and ephemeral containers too", async () => {
        const [r] = await evaluateGatekeeper(rego, [
            { review: pod({ initContainers: [{ name: "i", image: "busybox" }], ephemeralContainers: [{ name: "dbg", image: "alpine" }], containers: [{ name: "c", image: "prom/prometheus" }] }), parameters: p },
        ]);
        expect(msgs(r)).toEqual([
            'ephemeral container "dbg" uses image alpine (docker.io/library/alpine), which is not from an allowed registry',
            expect.stringContaining('init container "i" uses image busybox (docker.io/library/busybox)'),
        ]);
    });
});

describe("the estate's own workloads", () => {
    it("pass all three constraints (tracking, broker, monitoring)", async () => {
        const workloads = ourWorkloads();
        for (const t of TEMPLATES) {
            const results = await evaluateGatekeeper(
                regoOf(t.kind),
                workloads.map((object) => ({ review: { object }, parameters: params[t.kind] })),
            );
            results.forEach((r, i) => expect(msgs(r), `${t.kind} ${workloads[i].kind}/${workloads[i].metadata.name}`).toEqual([]));
        }
    });
});

describe("templates and constraints as objects", () => {
    it("match workloads outside the exempt system namespaces, with parameters valid against each template's schema", () => {
        const ajv = new Ajv({ strict: false });
        const templates = buildConstraintTemplates();
        for (const c of buildConstraints(config)) {
            const t = templates.find((x) => (x.spec as any).crd.spec.names.kind === c.kind)!;
            expect(t.metadata.name).toBe(c.kind.toLowerCase());
            const validate = ajv.compile((t.spec as any).crd.spec.validation.openAPIV3Schema);
            expect(validate((c.spec as any).parameters), JSON.stringify(validate.errors)).toBe(true);
            expect((c.spec as any).match.excludedNamespaces).toEqual(EXEMPT_NAMESPACES);
            expect((c.spec as any).enforcementAction).toBe("deny");
        }
        expect(EXEMPT_NAMESPACES).toEqual(expect.arrayContaining(["kube-system", "gatekeeper-system"]));
    });

    it("a Rego syntax error fails loudly, with OPA's message", async () => {
        const broken = regoOf("EdgeAllowedRegistries").replace("edge_allowed(repo) {", "edge_allowed(repo) {{");
        await expect(evaluateGatekeeper(broken, [{ review: pod({ containers: [] }), parameters: {} }])).rejects.toThrow(/rego_parse_error/);
    });
});
