/**
 * Wasm images need the wasmedge runtime class: without it containerd hands the module to runc, which cannot
 * start a .wasm entrypoint, and the pod crash-loops on the edge host. A workload is Wasm when one of its images
 * is a known Wasm repository (the tracking service, logistics-system) or its pod carries the label
 * edge-estate/runtime=wasm (the marker Gatekeeper's EdgeWasmRuntimeClass uses too).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { field, isUnknown } from "../known";
import { workloadLabel } from "../workloads";
import { containerLabel, workloadFromArgs } from "./common";
import { resolveWasmRuntimeConfig, wasmRuntimeSchema } from "./config";
import { imageRepository } from "../../components/constants";

export const WASM_RUNTIME = "wasm-images-use-wasmedge-runtime";


export const wasmRuntimePolicy: ResourceValidationPolicy = {
    name: WASM_RUNTIME,
    description: "Wasm images (the tracking service) run with runtimeClassName wasmedge.",
    enforcementLevel: "mandatory",
    configSchema: wasmRuntimeSchema,
    validateResource: (args, report) => {
        const w = workloadFromArgs(args);
        const cfg = resolveWasmRuntimeConfig(args.getConfig());
        if (isUnknown(w.runtimeClassName) || w.runtimeClassName === cfg.runtimeClassName) return;
        const actual = w.runtimeClassName === undefined ? "no runtimeClassName" : `runtimeClassName ${w.runtimeClassName}`;
        const fix = `set spec.runtimeClassName: ${cfg.runtimeClassName} on the pod`;
        const { key, value } = cfg.wasmLabel;
        if (field(w.podLabels, key) === value) {
            report(`${workloadLabel(w)}: the pod is labelled ${key}=${value} but has ${actual}; ${fix}`);
            return;
        }
        for (const c of w.containers) {
            if (typeof c.image !== "string") continue;
            const repo = imageRepository(c.image);
            if (cfg.wasmImages.includes(repo)) {
                report(`${workloadLabel(w)}: ${containerLabel(c)} runs the Wasm image ${c.image} but the pod has ${actual}; ${fix}`);
            }
        }
    },
};
