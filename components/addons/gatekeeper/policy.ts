/**
 * Pure builders for edge-estate's own Gatekeeper policies: ConstraintTemplates (our Rego, rego/*.rego) and the
 * Constraints whose parameters come from the budget config. Gatekeeper 3.15 evaluates Rego; its CEL engine is
 * pre-alpha there, so there is no CEL in these templates.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { toBytes, toMilliCpu } from "../../config/quantity";
import type { EstateConfig, ResourcePair } from "../../config/types";
import type { KubeObject } from "../../k8s/apply";
import { estateLabels, imageRepository, LOCAL_IMAGE_REPOSITORY, WASM_RUNTIME_CLASS, wasmRepositories as wasmRepositoriesOf } from "../../constants";

export const GATEKEEPER_NAMESPACE = "gatekeeper-system";
const REGO_DIR = path.join(__dirname, "rego");

/**
 * Namespaces no edge-estate constraint applies to: K3s's own system pods (coredns, local-path provisioner and
 * its helper pods, helm-install jobs, metrics-server) and Gatekeeper itself. Their images and sizes are chosen
 * by K3s and the Gatekeeper chart, not by us; the K3s reserve in the budget covers them.
 */
export const EXEMPT_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease", GATEKEEPER_NAMESPACE];

/**
 * Default allowed registries/repository prefixes: exactly the images the estate deploys (Mosquitto, the
 * monitoring stack, Gatekeeper) and the locally imported tracking image. Override with registries.allowed.
 */
export const DEFAULT_ALLOWED_REGISTRIES = [
    "docker.io/library/eclipse-mosquitto",
    "docker.io/prom",
    "quay.io/prometheus",
    "docker.io/grafana",
    "docker.io/openpolicyagent",
    LOCAL_IMAGE_REPOSITORY,
];

/** Kinds whose pod template the policies read (the Rego's edge_pod_spec knows the same list). */
export const MATCH_KINDS = [
    { apiGroups: [""], kinds: ["Pod", "ReplicationController"] },
    { apiGroups: ["apps"], kinds: ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] },
    { apiGroups: ["batch"], kinds: ["Job", "CronJob"] },
];

interface TemplateSpec {
    kind: string;
    file: string;
    description: string;
    parametersSchema: Record<string, unknown>;
}

const ceilingSchema = {
    type: "object",
    required: ["cpu", "cpuMilli", "memory", "memoryBytes"],
    properties: {
        cpu: { type: "string", description: "CPU ceiling as written in the budget (messages)" },
        cpuMilli: { type: "number", description: "CPU ceiling in millicores" },
        memory: { type: "string", description: "Memory ceiling as written in the budget (messages)" },
        memoryBytes: { type: "number", description: "Memory ceiling in bytes" },
    },
};

export const TEMPLATES: TemplateSpec[] = [
    {
        kind: "EdgeContainerResources",
        file: "containerresources.rego",
        description: "Every container and init container sets CPU/memory requests and limits within its workload class ceiling.",
        parametersSchema: {
            type: "object",
            required: ["wasmRuntimeClassName", "ceilings"],
            properties: {
                wasmRuntimeClassName: { type: "string" },
                ceilings: { type: "object", required: ["wasm", "default"], properties: { wasm: ceilingSchema, default: ceilingSchema } },
            },
        },
    },
    {
        kind: "EdgeWasmRuntimeClass",
        file: "wasmruntimeclass.rego",
        description: "Workloads running Wasm images must use the wasmedge RuntimeClass.",
        parametersSchema: {
            type: "object",
            required: ["runtimeClassName", "wasmRepositories"],
            properties: { runtimeClassName: { type: "string" }, wasmRepositories: { type: "array", items: { type: "string" } } },
        },
    },
    {
        kind: "EdgeAllowedRegistries",
        file: "allowedregistries.rego",
        description: "Container images come only from allowed registries or repository prefixes.",
        parametersSchema: {
            type: "object",
            required: ["allowed"],
            properties: { allowed: { type: "array", minItems: 1, items: { type: "string" } } },
        },
    },
];

const readRego = (file: string) => fs.readFileSync(path.join(REGO_DIR, file), "utf8");

/** The complete Rego module of a template: its package, the shared helpers, its rules. */
export function templateRego(t: TemplateSpec): string {
    return `package ${t.kind.toLowerCase()}\n\n${readRego("lib.rego").trimEnd()}\n\n${readRego(t.file).trimEnd()}\n`;
}

export function buildConstraintTemplates(): KubeObject[] {
    return TEMPLATES.map((t) => ({
        apiVersion: "templates.gatekeeper.sh/v1",
        kind: "ConstraintTemplate",
        metadata: {
            name: t.kind.toLowerCase(),
            labels: estateLabels(),
            annotations: {
                description: t.description,
                // Done only once Gatekeeper compiled the Rego and created the constraint CRD the Constraint needs.
                "pulumi.com/waitFor": "jsonpath={.status.created}=true",
            },
        },
        spec: {
            crd: { spec: { names: { kind: t.kind }, validation: { openAPIV3Schema: t.parametersSchema } } },
            targets: [{ target: "admission.k8s.gatekeeper.sh", rego: templateRego(t) }],
        },
    }));
}

function ceiling(pair: ResourcePair) {
    return { cpu: pair.cpu, cpuMilli: toMilliCpu(pair.cpu), memory: pair.memory, memoryBytes: toBytes(pair.memory) };
}

export function allowedRegistries(config: EstateConfig): string[] {
    const base = config.registries?.allowed ?? DEFAULT_ALLOWED_REGISTRIES;
    const extra = config.tracking.registryImage ? [imageRepository(config.tracking.registryImage)] : [];
    return [...new Set([...base, ...extra])];
}

export function wasmRepositories(config: EstateConfig): string[] {
    return wasmRepositoriesOf(config.tracking.registryImage);
}

/** Constraint parameters per template kind, all derived from the stack config. */
export function constraintParameters(config: EstateConfig): Record<string, Record<string, unknown>> {
    return {
        EdgeContainerResources: {
            wasmRuntimeClassName: WASM_RUNTIME_CLASS,
            ceilings: { wasm: ceiling(config.budget.classes.wasm), default: ceiling(config.budget.classes.default) },
        },
        EdgeWasmRuntimeClass: { runtimeClassName: WASM_RUNTIME_CLASS, wasmRepositories: wasmRepositories(config) },
        EdgeAllowedRegistries: { allowed: allowedRegistries(config) },
    };
}

export function buildConstraints(config: EstateConfig): KubeObject[] {
    const params = constraintParameters(config);
    return TEMPLATES.map((t) => ({
        apiVersion: "constraints.gatekeeper.sh/v1beta1",
        kind: t.kind,
        metadata: {
            name: t.kind.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase(),
            labels: estateLabels(),
        },
        spec: {
            enforcementAction: "deny",
            match: { kinds: MATCH_KINDS, excludedNamespaces: EXEMPT_NAMESPACES },
            parameters: params[t.kind],
        },
    }));
}
