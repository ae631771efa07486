/**
 * Registers plain Kubernetes objects (from the pure payload builders) as typed Pulumi resources on a site's
 * provider. Typed classes (not yaml.v2.ConfigGroup) because ConfigGroup ignores skipUpdateUnreachable and shows
 * no children under mocks, so neither a down site nor synth/policy checks would see the objects.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { objectResourceName } from "../naming";

export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; [k: string]: unknown };
    [k: string]: unknown;
}

type Ctor = new (name: string, args: any, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

const TYPED: Record<string, Ctor> = {
    "v1/Namespace": k8s.core.v1.Namespace,
    "v1/ConfigMap": k8s.core.v1.ConfigMap,
    "v1/Secret": k8s.core.v1.Secret,
    "v1/Service": k8s.core.v1.Service,
    "v1/ServiceAccount": k8s.core.v1.ServiceAccount,
    "v1/PersistentVolumeClaim": k8s.core.v1.PersistentVolumeClaim,
    "v1/Pod": k8s.core.v1.Pod,
    "apps/v1/Deployment": k8s.apps.v1.Deployment,
    "apps/v1/StatefulSet": k8s.apps.v1.StatefulSet,
    "apps/v1/DaemonSet": k8s.apps.v1.DaemonSet,
    "batch/v1/Job": k8s.batch.v1.Job,
    "batch/v1/CronJob": k8s.batch.v1.CronJob,
    "policy/v1/PodDisruptionBudget": k8s.policy.v1.PodDisruptionBudget,
    "rbac.authorization.k8s.io/v1/ClusterRole": k8s.rbac.v1.ClusterRole,
    "rbac.authorization.k8s.io/v1/ClusterRoleBinding": k8s.rbac.v1.ClusterRoleBinding,
    "rbac.authorization.k8s.io/v1/Role": k8s.rbac.v1.Role,
    "rbac.authorization.k8s.io/v1/RoleBinding": k8s.rbac.v1.RoleBinding,
    "networking.k8s.io/v1/NetworkPolicy": k8s.networking.v1.NetworkPolicy,
    "apiextensions.k8s.io/v1/CustomResourceDefinition": k8s.apiextensions.v1.CustomResourceDefinition,
};

export interface ApplyOptions {
    siteId: string;
    provider: k8s.Provider;
    parent: pulumi.Resource;
    dependsOn?: pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
    /** Earlier identities of the objects (e.g. their parent before the add-on components existed). */
    aliases?: pulumi.Input<pulumi.URN | pulumi.Alias>[];
}

/** Registers each object; returns them keyed by resource name so callers can depend on specific ones. */
export function applyObjects(objects: KubeObject[], opts: ApplyOptions): Map<string, pulumi.CustomResource> {
    const out = new Map<string, pulumi.CustomResource>();
    for (const obj of objects) {
        const name = objectResourceName(opts.siteId, obj);
        if (out.has(name)) throw new Error(`duplicate Kubernetes object ${obj.kind} ${obj.metadata.namespace ?? ""}/${obj.metadata.name} on site ${opts.siteId}`);
        const resourceOpts: pulumi.CustomResourceOptions = { provider: opts.provider, parent: opts.parent, dependsOn: opts.dependsOn, ...(opts.aliases ? { aliases: opts.aliases } : {}) };
        const ctor = TYPED[`${obj.apiVersion}/${obj.kind}`];
        const resource = ctor
            ? new ctor(name, obj, resourceOpts)
            : new k8s.apiextensions.CustomResource(name, obj as k8s.apiextensions.CustomResourceArgs, resourceOpts);
        out.set(name, resource);
    }
    return out;
}
