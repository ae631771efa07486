/**
 * The pack as the Pulumi engine sees it. There is no Pulumi CLI on this machine, so the test plays the engine:
 * it starts policy-pack/ through @pulumi/pulumi's own run-policy-pack entry point (ts-node with type checking,
 * exactly how `pulumi-analyzer-policy` starts a TypeScript pack), reads the port it prints, and speaks the
 * Analyzer gRPC protocol to it: GetAnalyzerInfo, Analyze, AnalyzeStack, Configure.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_BUDGET } from "../../components/config/defaults";
import { UNKNOWN_NUMBER, UNKNOWN_STRING, container, workload } from "./helpers";

const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb.js");
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb.js");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb.js");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb.js");

const PACK_DIR = path.resolve(__dirname, "../../policy-pack");
const RUN_POLICY_PACK = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [PACK_DIR] });

let child: ChildProcess;
let client: any;
let stderr = "";

function call<T>(method: string, req: unknown): Promise<T> {
    return new Promise((resolve, reject) => client[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
}

function options() {
    const o = new analyzerPb.AnalyzerResourceOptions();
    o.setProtect(false);
    return o;
}

function provider(site: string) {
    const p = new analyzerPb.AnalyzerProviderResource();
    p.setType("pulumi:providers:kubernetes");
    p.setName(`${site}-k8s`);
    p.setUrn(`urn:pulumi:prod::edge-estate::pulumi:providers:kubernetes::${site}-k8s`);
    p.setProperties(Struct.fromJavaScript({ clusterIdentifier: `cn-east/${site}`, kubeconfig: UNKNOWN_STRING }));
    return p;
}

interface Diag {
    policy: string;
    level: number;
    message: string;
}

function diags(res: any): Diag[] {
    return res.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));
}

function analyze(type: string, name: string, props: Record<string, unknown>, site = "hz-xihu"): Promise<Diag[]> {
    const req = new analyzerPb.AnalyzeRequest();
    req.setType(type);
    req.setName(name);
    req.setUrn(`urn:pulumi:prod::edge-estate::${type}::${name}`);
    req.setProperties(Struct.fromJavaScript(props));
    req.setOptions(options());
    req.setProvider(provider(site));
    return call("analyze", req).then(diags);
}

function stackResource(type: string, name: string, props: Record<string, unknown>, site: string) {
    const r = new analyzerPb.AnalyzerResource();
    r.setType(type);
    r.setName(name);
    r.setUrn(`urn:pulumi:prod::edge-estate::${type}::${name}`);
    r.setProperties(Struct.fromJavaScript(props));
    r.setOptions(options());
    r.setProvider(provider(site));
    return r;
}

const MANDATORY = analyzerPb.EnforcementLevel.MANDATORY;

beforeAll(async () => {
    child = spawn(process.execPath, [RUN_POLICY_PACK, "127.0.0.1:1", "."], { cwd: PACK_DIR, stdio: ["ignore", "pipe", "pipe"] });
    child.stderr!.on("data", (d) => (stderr += d));
    const port = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (d) => {
            out += d;
            const m = /^(\d+)\s*$/m.exec(out);
            if (m) resolve(m[1]);
        });
        child.on("exit", (code) => reject(new Error(`policy pack exited with ${code} before serving:\n${stderr}`)));
    });
    client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 120_000);

afterAll(() => {
    client?.close();
    if (child && child.exitCode === null) child.kill("SIGTERM");
});

describe("the policy pack served over the Analyzer protocol", () => {
    // The runtime prefixes each message with the policy description and a newline.
    it("describes itself: name, version from package.json, five mandatory policies, config schemas with the stack budget as defaults", async () => {
        const info = await call<any>("getAnalyzerInfo", new Empty());
        expect(info.getName()).toBe("edge-estate-workload-budget");
        expect(info.getVersion()).toBe("1.0.0");
        const policies = info.getPoliciesList();
        expect(policies.map((p: any) => p.getName()).sort()).toEqual(
            ["container-limits-within-class-budget", "site-capacity", "unknown-kinds-with-pod-templates", "wasm-images-use-wasmedge-runtime", "workload-requests-and-limits"].sort(),
        );
        for (const p of policies) expect(p.getEnforcementlevel()).toBe(MANDATORY);
        const classes = policies.find((p: any) => p.getName() === "container-limits-within-class-budget");
        expect(classes.getConfigschema().getProperties().toJavaScript().classes.default).toEqual(DEFAULT_BUDGET.classes);
        const site = policies.find((p: any) => p.getName() === "site-capacity");
        const props = site.getConfigschema().getProperties().toJavaScript();
        expect(props.host.default).toEqual(DEFAULT_BUDGET.host);
        expect(props.k3sReserve.default).toEqual(DEFAULT_BUDGET.k3sReserve);
    });

    it("passes a tracking Deployment within the wasm budget", async () => {
        const ok = workload("Deployment", { runtimeClassName: "wasmedge", containers: [container("tracking", { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } }, "edge-estate.local/logistics-system@sha256:00")] });
        expect(await analyze("kubernetes:apps/v1:Deployment", "hz-xihu-deployment-tracking", ok)).toEqual([]);
    });

    it("blocks an oversize Wasm workload with mandatory diagnostics from each policy concerned", async () => {
        const bad = workload("CronJob", { containers: [container("tracking", { requests: { cpu: "2", memory: "300Mi" }, limits: { cpu: "1", memory: "1e9" } }, "edge-estate.local/logistics-system:1")] });
        const d = await analyze("kubernetes:batch/v1:CronJob", "hz-xihu-cronjob-tracking", bad);
        expect(d.every((x) => x.level === MANDATORY)).toBe(true);
        expect(d.map((x) => x.policy).sort()).toEqual(["workload-requests-and-limits", "wasm-images-use-wasmedge-runtime"].sort());
        expect(d.find((x) => x.policy === "workload-requests-and-limits")!.message).toContain("requests.cpu 2 exceeds limits.cpu 1");
        // Without runtimeClassName it is judged as the default class (1 CPU / 1Gi): 1e9 bytes fits that.
        const wasm = workload("Pod", { runtimeClassName: "wasmedge", containers: [container("tracking", { requests: { cpu: "100m", memory: "100Mi" }, limits: { cpu: "1", memory: "1e9" } }, "edge-estate.local/logistics-system:1")] });
        const d2 = await analyze("kubernetes:core/v1:Pod", "hz-xihu-pod-tracking", wasm);
        expect(d2).toEqual([
            { policy: "container-limits-within-class-budget", level: MANDATORY, message: expect.stringContaining("limits.memory 1e9 (= 953.67Mi) exceeds the wasm class, runtimeClassName wasmedge ceiling 256Mi") },
        ]);
    });

    it("handles preview unknowns itself: no 'can't run policy during preview' fallback, certain violations still reported", async () => {
        const props = workload("Deployment", {
            runtimeClassName: "wasmedge",
            containers: [container("a", { requests: { cpu: UNKNOWN_STRING, memory: "64Mi" }, limits: { cpu: "1", memory: "512Mi" } }, UNKNOWN_STRING)],
        }, { replicas: UNKNOWN_NUMBER });
        const d = await analyze("kubernetes:apps/v1:Deployment", "hz-xihu-deployment-a", props);
        expect(d.map((x) => x.message).join("\n")).not.toMatch(/during preview/);
        expect(d).toEqual([{ policy: "container-limits-within-class-budget", level: MANDATORY, message: expect.stringContaining("limits.memory 512Mi exceeds the wasm class") }]);
    });

    it("runs the site-capacity stack policy per provider", async () => {
        const req = new analyzerPb.AnalyzeStackRequest();
        const big = workload("Deployment", { containers: [container("api", { requests: { cpu: "600m", memory: "64Mi" }, limits: { cpu: "1", memory: "128Mi" } })] }, { name: "api", replicas: 3 });
        req.setResourcesList([
            stackResource("kubernetes:apps/v1:Deployment", "hz-xihu-deployment-api", big, "hz-xihu"),
            stackResource("kubernetes:core/v1:ConfigMap", "sz-gusu-configmap-edge-site-info", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "edge-site-info", namespace: "edge-system" }, data: { hosts: "srv-a:server,wrk-a:agent" } }, "sz-gusu"),
            stackResource("kubernetes:apps/v1:Deployment", "sz-gusu-deployment-api", big, "sz-gusu"),
        ]);
        // A ConfigMap in the stack does not describe a site (topology comes from the policy config only): both
        // sites are judged as the smallest site.
        const d = diags(await call("analyzeStack", req));
        expect(d).toEqual([
            { policy: "site-capacity", level: MANDATORY, message: expect.stringMatching(/\nsite hz-xihu \(1 server, from defaultSite\): CPU requests 1800m exceed the allocatable 1500m/) },
            { policy: "site-capacity", level: MANDATORY, message: expect.stringMatching(/\nsite sz-gusu \(1 server, from defaultSite\): CPU requests 1800m exceed the allocatable 1500m/) },
        ]);
    });

    it("takes --policy-pack-config values through Configure (and a disabled policy stays silent)", async () => {
        const req = new analyzerPb.ConfigureAnalyzerRequest();
        const map = req.getPolicyconfigMap();
        const cls = new analyzerPb.PolicyConfig();
        cls.setEnforcementlevel(MANDATORY);
        cls.setProperties(Struct.fromJavaScript({ classes: { wasm: { cpu: "500m", memory: "128Mi" } } }));
        map.set("container-limits-within-class-budget", cls);
        const off = new analyzerPb.PolicyConfig();
        off.setEnforcementlevel(analyzerPb.EnforcementLevel.DISABLED);
        off.setProperties(Struct.fromJavaScript({}));
        map.set("workload-requests-and-limits", off);
        await call("configure", req);
        const props = workload("Deployment", { runtimeClassName: "wasmedge", containers: [container("t", { limits: { cpu: "200m", memory: "200Mi" } }, "edge-estate.local/logistics-system:1")] });
        const d = await analyze("kubernetes:apps/v1:Deployment", "hz-xihu-deployment-t", props);
        expect(d).toEqual([{ policy: "container-limits-within-class-budget", level: MANDATORY, message: expect.stringContaining("limits.memory 200Mi exceeds the wasm class, runtimeClassName wasmedge ceiling 128Mi") }]);
        expect(stderr).not.toMatch(/error/i);
    });
});

