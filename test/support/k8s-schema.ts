/**
 * Strict Kubernetes 1.30 validator for rendered objects.
 *
 * Built at test time from kubernetes-types@1.30.0 (the 1.30 OpenAPI as TypeScript) with ts-json-schema-generator
 * (every object gets additionalProperties:false) and checked with ajv. Unknown fields, typos, wrong types,
 * missing required fields, a wrong kind and fields added after 1.30 are all rejected. The generated schema is
 * cached under .cache/ (gitignored), keyed by the inputs, so only the first run pays the ~3 s generation.
 *
 * Only served, stable API versions (v1, v2) are included: an object using an alpha/beta API fails as "no schema".
 * On top of the generated schema, a short table adds the enums the 1.30 API documents for fields the types leave
 * as plain strings (kubernetes-types has no enums), and the API server's object-meta rules are checked: names
 * (DNS subdomain / label / RBAC path segment), namespace, label keys and values, annotation keys.
 *
 * Custom resources (Gatekeeper, K3s HelmChart) have no schema in kubernetes-types; see CRD_SCHEMAS.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";

const ROOT = path.join(__dirname, "..", "..");
const TYPES_DIR = path.join(ROOT, "node_modules", "kubernetes-types");
export const CACHE_DIR = path.join(ROOT, ".cache", "schemas");

/** Builds (or reads from the cache) a JSON schema; `inputs` must change whenever the result would. */
export function cachedSchema(name: string, inputs: string[], build: () => object): any {
    const key = createHash("sha256").update(inputs.join("\0")).digest("hex").slice(0, 16);
    const file = path.join(CACHE_DIR, `${name}-${key}.json`);
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8"));
    const schema = build();
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    // Atomic: parallel test processes may build the same schema.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(schema));
    fs.renameSync(tmp, file);
    return schema;
}

export function packageVersion(pkg: string): string {
    return JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version;
}

/** Generates a schema for `type` from a TypeScript file (ts-json-schema-generator, strict objects). */
export function generateSchema(file: string, type: string): object {
    // Loaded lazily: only a cache miss needs the TypeScript compiler.
    const { createGenerator } = require("ts-json-schema-generator");
    return createGenerator({ path: file, type, skipTypeCheck: true, additionalProperties: false, expose: "export", topRef: true, jsDoc: "none" }).createSchema(type);
}

interface KindEntry {
    apiVersion: string;
    kind: string;
    /** Definition name in the generated schema. */
    alias: string;
}

/** Every top-level resource of every stable group version in kubernetes-types (apiVersion + kind literals). */
export function stableKinds(): { entries: KindEntry[]; source: string } {
    const entries: KindEntry[] = [];
    const imports: string[] = [];
    const aliases: string[] = [];
    for (const group of fs.readdirSync(TYPES_DIR).sort()) {
        const dir = path.join(TYPES_DIR, group);
        if (!fs.statSync(dir).isDirectory()) continue;
        for (const file of fs.readdirSync(dir).sort()) {
            const version = file.replace(/\.d\.ts$/, "");
            if (!/^v\d+$/.test(version)) continue;
            const text = fs.readFileSync(path.join(dir, file), "utf8");
            const ns = `${group}_${version}`;
            let any = false;
            for (const m of text.matchAll(/export interface (\w+) \{([\s\S]*?)\n\}/g)) {
                const apiVersion = /^\s*apiVersion\?: "([^"]+)";/m.exec(m[2])?.[1];
                const kind = /^\s*kind\?: "([^"]+)";/m.exec(m[2])?.[1];
                if (!apiVersion || !kind || kind !== m[1]) continue;
                const alias = `${ns}_${kind}`;
                aliases.push(`export type ${alias} = ${ns}.${kind} & { apiVersion: "${apiVersion}"; kind: "${kind}" };`);
                entries.push({ apiVersion, kind, alias });
                any = true;
            }
            if (any) imports.push(`import type * as ${ns} from "kubernetes-types/${group}/${version}";`);
        }
    }
    return { entries, source: `${imports.join("\n")}\n\n${aliases.join("\n")}\n` };
}

/** Enums of the 1.30 API for fields kubernetes-types types as plain strings: [definition, property, values]. */
const ENUMS: [string, string, string[]][] = [
    ["io.k8s.api.core.v1.ServiceSpec", "type", ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]],
    ["io.k8s.api.core.v1.ServiceSpec", "externalTrafficPolicy", ["Cluster", "Local"]],
    ["io.k8s.api.core.v1.ServiceSpec", "internalTrafficPolicy", ["Cluster", "Local"]],
    ["io.k8s.api.core.v1.ServiceSpec", "sessionAffinity", ["ClientIP", "None"]],
    ["io.k8s.api.core.v1.ServiceSpec", "ipFamilyPolicy", ["SingleStack", "PreferDualStack", "RequireDualStack"]],
    ["io.k8s.api.core.v1.ServicePort", "protocol", ["TCP", "UDP", "SCTP"]],
    ["io.k8s.api.core.v1.ContainerPort", "protocol", ["TCP", "UDP", "SCTP"]],
    ["io.k8s.api.core.v1.Container", "imagePullPolicy", ["Always", "IfNotPresent", "Never"]],
    ["io.k8s.api.core.v1.Container", "restartPolicy", ["Always"]],
    ["io.k8s.api.core.v1.Container", "terminationMessagePolicy", ["File", "FallbackToLogsOnError"]],
    ["io.k8s.api.core.v1.PodSpec", "restartPolicy", ["Always", "OnFailure", "Never"]],
    ["io.k8s.api.core.v1.PodSpec", "dnsPolicy", ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]],
    ["io.k8s.api.core.v1.PodSpec", "preemptionPolicy", ["PreemptLowerPriority", "Never"]],
    ["io.k8s.api.core.v1.Toleration", "operator", ["Exists", "Equal"]],
    ["io.k8s.api.core.v1.Toleration", "effect", ["NoSchedule", "PreferNoSchedule", "NoExecute"]],
    ["io.k8s.api.core.v1.Taint", "effect", ["NoSchedule", "PreferNoSchedule", "NoExecute"]],
    ["io.k8s.api.core.v1.VolumeMount", "mountPropagation", ["None", "HostToContainer", "Bidirectional"]],
    ["io.k8s.api.core.v1.HostPathVolumeSource", "type", ["", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"]],
    ["io.k8s.api.core.v1.SeccompProfile", "type", ["RuntimeDefault", "Localhost", "Unconfined"]],
    ["io.k8s.api.core.v1.PersistentVolumeClaimSpec", "volumeMode", ["Filesystem", "Block"]],
    ["io.k8s.api.core.v1.TopologySpreadConstraint", "whenUnsatisfiable", ["DoNotSchedule", "ScheduleAnyway"]],
    ["io.k8s.api.apps.v1.DeploymentStrategy", "type", ["Recreate", "RollingUpdate"]],
    ["io.k8s.api.apps.v1.DaemonSetUpdateStrategy", "type", ["RollingUpdate", "OnDelete"]],
    ["io.k8s.api.apps.v1.StatefulSetUpdateStrategy", "type", ["RollingUpdate", "OnDelete"]],
    ["io.k8s.api.apps.v1.StatefulSetSpec", "podManagementPolicy", ["OrderedReady", "Parallel"]],
    ["io.k8s.api.batch.v1.CronJobSpec", "concurrencyPolicy", ["Allow", "Forbid", "Replace"]],
    ["io.k8s.api.policy.v1.PodDisruptionBudgetSpec", "unhealthyPodEvictionPolicy", ["IfHealthyBudget", "AlwaysAllow"]],
];
const ACCESS_MODES = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"];

/**
 * ts-json-schema-generator names definitions by their short TS name, and short names collide across groups
 * (rbac/v1 Subject vs flowcontrol/v1 Subject), so each kind gets its own schema with only what it reaches.
 * Returns how many definitions each enum was attached to.
 */
function applyEnums(schema: any, attached: Map<string, number>): void {
    const defs = schema.definitions as Record<string, any>;
    for (const [qualified, prop, values] of ENUMS) {
        const d = defs[qualified.split(".").pop()!];
        if (d?.properties?.[prop]?.type !== "string") continue;
        d.properties[prop] = { ...d.properties[prop], enum: values };
        attached.set(`${qualified}.${prop}`, (attached.get(`${qualified}.${prop}`) ?? 0) + 1);
    }
    const pvc = defs.PersistentVolumeClaimSpec;
    if (pvc?.properties?.accessModes) pvc.properties.accessModes = { type: "array", items: { type: "string", enum: ACCESS_MODES } };
}

function buildK8sSchemas(): { schemas: Record<string, any>; entries: KindEntry[] } {
    const { entries, source } = stableKinds();
    const schemas = cachedSchema("k8s-1.30", [source, packageVersion("kubernetes-types"), packageVersion("ts-json-schema-generator"), JSON.stringify(ENUMS), "per-kind-v3"], () => {
        fs.mkdirSync(CACHE_DIR, { recursive: true });
        const file = path.join(CACHE_DIR, `k8s-kinds-${process.pid}.ts`);
        fs.writeFileSync(file, source);
        try {
            const { createGenerator } = require("ts-json-schema-generator");
            const generator = createGenerator({ path: file, type: "*", skipTypeCheck: true, additionalProperties: false, expose: "export", topRef: true, jsDoc: "none" });
            const attached = new Map<string, number>();
            const out: Record<string, any> = {};
            for (const e of entries) {
                const schema = generator.createSchema(e.alias);
                applyEnums(schema, attached);
                out[e.alias] = schema;
            }
            const unused = ENUMS.map(([q, p]) => `${q}.${p}`).filter((k) => !attached.has(k));
            if (unused.length > 0) throw new Error(`k8s-schema: enum table names fields no 1.30 kind has: ${unused.join(", ")}`);
            return out;
        } finally {
            fs.rmSync(file, { force: true });
        }
    });
    return { schemas, entries };
}

const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^(?=.{1,63}$)[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^((?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const RBAC_KINDS = new Set(["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]);

function qualifiedNameProblem(key: string): string | undefined {
    const parts = key.split("/");
    if (parts.length > 2) return "has more than one /";
    const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
    if (prefix !== undefined && !DNS_SUBDOMAIN.test(prefix)) return "has a prefix that is not a DNS subdomain";
    if (!LABEL_NAME.test(name)) return "is not a qualified name (63 characters of [A-Za-z0-9-_.], alphanumeric at both ends)";
    return undefined;
}

/** The object-meta rules the API server applies beyond the schema (apimachinery validation). */
function metadataProblems(obj: Record<string, any>): string[] {
    const problems: string[] = [];
    const md = obj.metadata ?? {};
    const name = md.name;
    if (typeof name === "string") {
        if (RBAC_KINDS.has(obj.kind)) {
            if (name === "." || name === ".." || /[/%]/.test(name)) problems.push(`/metadata/name ${JSON.stringify(name)} is not a valid path segment name`);
        } else if (obj.kind === "Namespace" && !DNS_LABEL.test(name)) problems.push(`/metadata/name ${JSON.stringify(name)} is not a DNS label`);
        else if (obj.kind === "Service" && !DNS_1035_LABEL.test(name)) problems.push(`/metadata/name ${JSON.stringify(name)} is not a DNS-1035 label`);
        else if (!RBAC_KINDS.has(obj.kind) && !DNS_SUBDOMAIN.test(name)) problems.push(`/metadata/name ${JSON.stringify(name)} is not a DNS subdomain`);
    }
    if (typeof md.namespace === "string" && !DNS_LABEL.test(md.namespace)) problems.push(`/metadata/namespace ${JSON.stringify(md.namespace)} is not a DNS label`);
    for (const [k, v] of Object.entries((md.labels ?? {}) as Record<string, unknown>)) {
        const p = qualifiedNameProblem(k);
        if (p) problems.push(`/metadata/labels key ${JSON.stringify(k)} ${p}`);
        if (typeof v === "string" && !LABEL_VALUE.test(v)) problems.push(`/metadata/labels/${k} value ${JSON.stringify(v)} is not a valid label value`);
    }
    for (const k of Object.keys((md.annotations ?? {}) as Record<string, unknown>)) {
        const p = qualifiedNameProblem(k);
        if (p) problems.push(`/metadata/annotations key ${JSON.stringify(k)} ${p}`);
    }
    return problems;
}

export interface ValidationResult {
    ok: boolean;
    errors: string[];
}

export function formatErrors(errors: ErrorObject[] | null | undefined): string[] {
    return (errors ?? []).map((e) => {
        const extra = e.keyword === "additionalProperties" ? ` (${(e.params as any).additionalProperty})` : e.keyword === "enum" ? ` (${(e.params as any).allowedValues.join(", ")})` : "";
        return `${e.instancePath || "/"} ${e.message}${extra}`;
    });
}

/** Custom resources: apiVersion/kind -> a JSON schema we wrote from the CRD (see crd-schemas.ts). */
export type CrdSchemas = Record<string, object>;

export class K8sValidator {
    private readonly ajv: Ajv;
    private readonly byKind = new Map<string, ValidateFunction>();
    private readonly aliasOf = new Map<string, string>();
    private readonly schemas: Record<string, any>;

    constructor(private readonly crds: CrdSchemas = {}) {
        const { schemas, entries } = buildK8sSchemas();
        this.schemas = schemas;
        this.ajv = new Ajv({ allErrors: true, strict: false });
        for (const e of entries) this.aliasOf.set(`${e.apiVersion}/${e.kind}`, e.alias);
    }

    /** The generated definitions reachable from a built-in kind (ObjectMeta, LabelSelector ...), for CRD schemas. */
    definitionsOf(apiVersion: string, kind: string): Record<string, object> {
        const alias = this.aliasOf.get(`${apiVersion}/${kind}`);
        if (!alias) throw new Error(`no built-in kind ${apiVersion}/${kind}`);
        return this.schemas[alias].definitions;
    }

    /** apiVersion/kind pairs the validator knows. */
    kinds(): string[] {
        return [...this.aliasOf.keys(), ...Object.keys(this.crds)];
    }

    validate(obj: unknown): ValidationResult {
        if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return { ok: false, errors: ["/ must be an object"] };
        const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
        if (typeof apiVersion !== "string" || typeof kind !== "string") return { ok: false, errors: ["/ must have string apiVersion and kind"] };
        const key = `${apiVersion}/${kind}`;
        let fn = this.byKind.get(key);
        if (!fn) {
            const alias = this.aliasOf.get(key);
            if (alias) fn = this.ajv.compile(this.schemas[alias]);
            else if (this.crds[key]) fn = this.ajv.compile(this.crds[key]);
            if (!fn) return { ok: false, errors: [`no Kubernetes 1.30 schema for ${key} (not a stable built-in kind and no CRD schema registered)`] };
            this.byKind.set(key, fn);
        }
        const schemaOk = fn(obj) as boolean;
        const errors = [...(schemaOk ? [] : formatErrors(fn.errors)), ...metadataProblems(obj as Record<string, any>)];
        return { ok: errors.length === 0, errors };
    }
}
