// How plain Kubernetes objects become resources, on the prod program under the one mock harness: the Pulumi
// type each kind gets (written out: kubernetes:<group>/<version>:<Kind>, core for the empty group), the stable
// name, the object passed through unchanged, and the site's provider.
import { beforeAll, describe, expect, it } from "vitest";
import { loadStackFile } from "../../../components/config/load";
import { planEstate } from "../../../components/plan";
import { siteFoundationObjects } from "../../../components/site/objects";
import { type Registered, registerStackFile } from "../addons/program-under-mocks";

const { config } = loadStackFile("Pulumi.prod.yaml");
const named = (name: string) => rs.find((r) => r.name === name)!;

let rs: Registered[];

beforeAll(async () => {
    ({ rs } = await registerStackFile("Pulumi.prod.yaml"));
}, 60_000);

describe("applyObjects", () => {
    it("registers each kind under its Kubernetes type, custom resources included", () => {
        const types: Record<string, string> = {
            "hz-xihu-namespace-edge-system": "kubernetes:core/v1:Namespace",
            "hz-xihu-configmap-edge-system-edge-site-info": "kubernetes:core/v1:ConfigMap",
            "hz-xihu-deployment-edge-system-tracking": "kubernetes:apps/v1:Deployment",
            "hz-xihu-daemonset-edge-monitoring-node-exporter": "kubernetes:apps/v1:DaemonSet",
            "hz-xihu-poddisruptionbudget-edge-system-tracking": "kubernetes:policy/v1:PodDisruptionBudget",
            "hz-xihu-clusterrole-edge-monitoring-prometheus-agent": "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
            "hz-xihu-persistentvolumeclaim-edge-system-mqtt-broker-data": "kubernetes:core/v1:PersistentVolumeClaim",
            "hz-xihu-networkpolicy-edge-system-default-deny": "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "hz-xihu-constrainttemplate-edgecontainerresources": "kubernetes:templates.gatekeeper.sh/v1:ConstraintTemplate",
            "hz-xihu-edgecontainerresources-edge-container-resources": "kubernetes:constraints.gatekeeper.sh/v1beta1:EdgeContainerResources",
        };
        for (const [name, type] of Object.entries(types)) expect(named(name)?.type, name).toBe(type);
    });

    it("passes the object through as the resource's inputs, on the site's provider", () => {
        const plan = planEstate(config).sites.find((p) => p.site.id === "hz-xihu")!;
        const [ns, cm] = siteFoundationObjects(plan);
        const provider = rs.find((r) => r.type === "pulumi:providers:kubernetes" && r.name === "hz-xihu-k8s")!;
        for (const [name, obj] of [["hz-xihu-namespace-edge-system", ns], ["hz-xihu-configmap-edge-system-edge-site-info", cm]] as const) {
            const r = named(name);
            expect(r.inputs).toMatchObject(JSON.parse(JSON.stringify(obj)));
            expect(r.provider).toBe(provider.urn);
        }
    });

    it("names every object <site>-<kind>-[<namespace>-]<name>, unique per site", () => {
        const objects = rs.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v4:Chart" && r.name.startsWith("hz-xihu-"));
        for (const o of objects) {
            const meta = o.inputs.metadata as { name: string; namespace?: string };
            const kind = String(o.inputs.kind).toLowerCase();
            expect(o.name).toBe(`hz-xihu-${kind}-${meta.namespace ? `${meta.namespace}-` : ""}${meta.name}`);
        }
        expect(new Set(objects.map((o) => o.name)).size).toBe(objects.length);
        // Cluster-scoped objects carry no namespace part.
        expect(named("hz-xihu-clusterrole-edge-monitoring-prometheus-agent").inputs.metadata.namespace).toBeUndefined();
    });
});
