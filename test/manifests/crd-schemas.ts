/**
 * Schemas of the custom resources synth renders, for the strict validator in test/support/k8s-schema.ts.
 * Written here from the field lists of the CRDs (not copied): Gatekeeper 3.15's ConstraintTemplate v1
 * (charts/gatekeeper/crds/constrainttemplate-customresourcedefinition.yaml in open-policy-agent/gatekeeper)
 * and the constraint CRD Gatekeeper generates per template (spec.match / enforcementAction / parameters, with
 * `parameters` taken from the template's own spec.crd.spec.validation.openAPIV3Schema), and K3s's
 * helm.cattle.io/v1 HelmChart (docs.k3s.io "Helm" page, helm-controller fields). Strict field validation
 * (`kubectl --validate=strict`, server-side fieldValidation=Strict) rejects unknown fields of custom resources
 * too, so every object here is additionalProperties:false except where the CRD preserves unknown fields.
 */
import type { K8sValidator } from "../support/k8s-schema";

const str = { type: "string" };
const strings = { type: "array", items: str };
const strict = (properties: Record<string, object>, required: string[] = []) => ({ type: "object", additionalProperties: false, properties, ...(required.length ? { required } : {}) });

function resource(apiVersion: string, kind: string, spec: object, definitions: Record<string, object>) {
    return {
        ...strict({ apiVersion: { const: apiVersion }, kind: { const: kind }, metadata: { $ref: "#/definitions/ObjectMeta" }, spec }, ["apiVersion", "kind", "metadata", "spec"]),
        definitions,
    };
}

export const CONSTRAINT_TEMPLATE = "templates.gatekeeper.sh/v1/ConstraintTemplate";
export const HELM_CHART = "helm.cattle.io/v1/HelmChart";

/** ConstraintTemplate v1 and HelmChart v1. */
export function staticCrdSchemas(validator: K8sValidator): Record<string, object> {
    const defs = validator.definitionsOf("v1", "ConfigMap");
    return {
        [CONSTRAINT_TEMPLATE]: resource(
            "templates.gatekeeper.sh/v1",
            "ConstraintTemplate",
            strict({
                crd: strict({
                    spec: strict({
                        names: strict({ kind: str, shortNames: strings }),
                        validation: strict({ legacySchema: { type: "boolean" }, openAPIV3Schema: { type: "object" } }),
                    }),
                }),
                targets: {
                    type: "array",
                    items: strict(
                        {
                            target: str,
                            rego: str,
                            libs: strings,
                            // K8sNativeValidation (CEL) sources; pre-alpha and off in 3.15, listed for completeness.
                            code: { type: "array", items: strict({ engine: str, source: {} }, ["engine", "source"]) },
                        },
                        ["target"],
                    ),
                },
            }),
            defs,
        ),
        [HELM_CHART]: resource(
            "helm.cattle.io/v1",
            "HelmChart",
            strict({
                chart: str,
                chartContent: str,
                version: str,
                repo: str,
                repoCA: str,
                repoCAConfigMap: { type: "object", properties: { name: str }, additionalProperties: false },
                targetNamespace: str,
                createNamespace: { type: "boolean" },
                helmVersion: str,
                bootstrap: { type: "boolean" },
                valuesContent: str,
                set: { type: "object", additionalProperties: { type: ["string", "integer", "boolean"] } },
                jobImage: str,
                timeout: str,
                failurePolicy: { enum: ["reinstall", "abort"] },
                authSecret: { type: "object", properties: { name: str }, additionalProperties: false },
                authPassCredentials: { type: "boolean" },
                dockerRegistrySecret: { type: "object", properties: { name: str }, additionalProperties: false },
                insecureSkipTLSVerify: { type: "boolean" },
                plainHTTP: { type: "boolean" },
                backOffLimit: { type: "integer" },
                podSecurityContext: { type: "object" },
                securityContext: { type: "object" },
            }),
            defs,
        ),
    };
}

/**
 * A template's parameters schema as the API server applies it: structural, so an object node without
 * `additionalProperties` or `x-kubernetes-preserve-unknown-fields` admits no unknown fields.
 */
export function structural(schema: unknown): unknown {
    if (Array.isArray(schema)) return schema.map(structural);
    if (!schema || typeof schema !== "object") return schema;
    const s = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === "enum" || k === "default" ? v : structural(v)])) as Record<string, unknown>;
    if (s.type === "object" && s.properties && s.additionalProperties === undefined && !s["x-kubernetes-preserve-unknown-fields"]) s.additionalProperties = false;
    return s;
}

/** The schema of a constraint of a template's kind (constraints.gatekeeper.sh/v1beta1). */
export function constraintSchema(validator: K8sValidator, kind: string, parameters: object | undefined): object {
    const defs = validator.definitionsOf("apps/v1", "Deployment"); // has ObjectMeta and LabelSelector
    return resource(
        "constraints.gatekeeper.sh/v1beta1",
        kind,
        strict({
            enforcementAction: { enum: ["deny", "dryrun", "warn"] },
            match: strict({
                kinds: { type: "array", items: strict({ apiGroups: strings, kinds: strings }) },
                scope: { enum: ["*", "Cluster", "Namespaced"] },
                namespaces: strings,
                excludedNamespaces: strings,
                labelSelector: { $ref: "#/definitions/LabelSelector" },
                namespaceSelector: { $ref: "#/definitions/LabelSelector" },
                name: str,
                source: { enum: ["All", "Generated", "Original"] },
            }),
            // No schema in the template: Gatekeeper preserves any parameters.
            parameters: parameters ? (structural(parameters) as object) : { type: "object" },
        }),
        defs,
    );
}
