import { describe, expect, it } from "vitest";
import { wasmRuntimePolicy } from "../../../policy-pack/policies/wasm-runtime";
import { constraintParameters } from "../../../components/addons/gatekeeper/policy";
import { DEFAULT_WASM_IMAGES, DEFAULT_WASM_LABEL } from "../../../policy-pack/policies/config";
import { loadStackFile } from "../../../components/config/load";
import * as path from "node:path";
import { checkWorkload, container, KINDS, OK_RES, UNKNOWN_STRING, workload } from "../helpers";

// The tracking image as the program deploys it (imported archive), with and without tag or digest.
const TRACKING_IMAGES = [
    "edge-estate.local/logistics-system@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "edge-estate.local/logistics-system:0.1.0",
    "edge-estate.local/logistics-system",
];

describe.each(KINDS)("wasm-images-use-wasmedge-runtime on %s", (kind) => {
    it.each(TRACKING_IMAGES)("passes %s with runtimeClassName wasmedge", (image) => {
        expect(checkWorkload(wasmRuntimePolicy, workload(kind, { runtimeClassName: "wasmedge", containers: [container("tracking", OK_RES, image)] }))).toEqual([]);
    });

    it.each(TRACKING_IMAGES)("blocks %s without a runtime class", (image) => {
        const v = checkWorkload(wasmRuntimePolicy, workload(kind, { containers: [container("tracking", OK_RES, image)] }));
        expect(v).toEqual([
            `${kind} team/demo-${kind.toLowerCase()}: container "tracking" runs the Wasm image ${image} but the pod has no runtimeClassName; set spec.runtimeClassName: wasmedge on the pod`,
        ]);
    });

    it("blocks a Wasm image with another runtime class, also in an init container", () => {
        const v = checkWorkload(wasmRuntimePolicy, workload(kind, { runtimeClassName: "runc", initContainers: [container("seed", OK_RES, "edge-estate.local/logistics-system:1")] }));
        expect(v).toHaveLength(1);
        expect(v[0]).toContain('init container "seed" runs the Wasm image edge-estate.local/logistics-system:1 but the pod has runtimeClassName runc');
    });

    it("blocks a pod labelled edge-estate/runtime=wasm without the runtime class, whatever the image", () => {
        const v = checkWorkload(wasmRuntimePolicy, workload(kind, { labels: { "edge-estate/runtime": "wasm" }, containers: [container("w", OK_RES, "ghcr.io/acme/sensor-filter:3")] }));
        expect(v).toEqual([
            `${kind} team/demo-${kind.toLowerCase()}: the pod is labelled edge-estate/runtime=wasm but has no runtimeClassName; set spec.runtimeClassName: wasmedge on the pod`,
        ]);
    });

    it("leaves ordinary images and other label values alone", () => {
        expect(checkWorkload(wasmRuntimePolicy, workload(kind, { labels: { "edge-estate/runtime": "linux" } }))).toEqual([]);
        expect(checkWorkload(wasmRuntimePolicy, workload(kind, { containers: [container("mqtt", OK_RES, "eclipse-mosquitto:2.0.18"), container("x", OK_RES, "acme/logistics-system-db:1")] }))).toEqual([]);
    });
});

describe("wasm-images-use-wasmedge-runtime details", () => {
    it("decides what is a Wasm image exactly as Gatekeeper does", () => {
        // Same answer as Gatekeeper's EdgeWasmRuntimeClass: the same repositories, the same label.
        const { config } = loadStackFile(path.join(__dirname, "..", "..", "..", "Pulumi.prod.yaml"));
        const gk = constraintParameters(config).EdgeWasmRuntimeClass as { wasmRepositories: string[]; runtimeClassName: string };
        expect(DEFAULT_WASM_IMAGES).toEqual(gk.wasmRepositories);
        expect(DEFAULT_WASM_IMAGES).toEqual(["edge-estate.local/logistics-system"]);
        expect(DEFAULT_WASM_LABEL).toBe("edge-estate/runtime=wasm");
        // A look-alike name elsewhere is not the tracking image (Gatekeeper would not call it Wasm either).
        expect(checkWorkload(wasmRuntimePolicy, workload("Deployment", { containers: [container("x", OK_RES, "registry.example.com/logistics-system:1")] }))).toEqual([]);
    });

    it("takes image names, runtime class and annotation from config", () => {
        const cfg = { wasmImages: ["docker.io/acme/sensor-filter"], runtimeClassName: "wasmtime", wasmLabel: "acme.io/kind=wasm" };
        const obj = (rc?: string) => workload("Deployment", { ...(rc ? { runtimeClassName: rc } : {}), containers: [container("f", OK_RES, "acme/sensor-filter:1")] });
        expect(checkWorkload(wasmRuntimePolicy, obj(), cfg)[0]).toContain("set spec.runtimeClassName: wasmtime");
        expect(checkWorkload(wasmRuntimePolicy, obj("wasmedge"), cfg)).toHaveLength(1);
        expect(checkWorkload(wasmRuntimePolicy, obj("wasmtime"), cfg)).toEqual([]);
        expect(() => checkWorkload(wasmRuntimePolicy, obj(), { wasmImages: "logistics-system" })).toThrow(/wasmImages must be a list/);
        expect(() => checkWorkload(wasmRuntimePolicy, obj(), { wasmLabel: "wasm" })).toThrow(/wasmLabel must be key=value, got "wasm"/);
        const labelled = workload("Job", { labels: { "acme.io/kind": "wasm" }, containers: [container("f", OK_RES, "busybox:1")] });
        expect(checkWorkload(wasmRuntimePolicy, labelled, cfg)[0]).toContain("the pod is labelled acme.io/kind=wasm");
        expect(checkWorkload(wasmRuntimePolicy, labelled)).toEqual([]);
    });

    it("during preview: unknown runtime class or image is not judged, known facts still are", () => {
        expect(checkWorkload(wasmRuntimePolicy, workload("Deployment", { runtimeClassName: UNKNOWN_STRING, containers: [container("t", OK_RES, "edge-estate.local/logistics-system:1")] }))).toEqual([]);
        expect(checkWorkload(wasmRuntimePolicy, workload("Deployment", { containers: [container("t", OK_RES, UNKNOWN_STRING), container("u", OK_RES, "edge-estate.local/logistics-system:1")] }))).toHaveLength(1);
    });
});
