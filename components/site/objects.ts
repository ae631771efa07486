/** Pure builders for the objects every site gets from the foundation itself. */
import type { KubeObject } from "../k8s/apply";
import type { SitePlan } from "../plan";
import { siteLabels } from "../constants";

export const EDGE_SYSTEM_NAMESPACE = "edge-system";

export function siteFoundationObjects(plan: SitePlan): KubeObject[] {
    const { config, site, versions } = plan;
    const labels = siteLabels(site.id);
    return [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: EDGE_SYSTEM_NAMESPACE, labels } },
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "edge-site-info", namespace: EDGE_SYSTEM_NAMESPACE, labels },
            // What is installed where: read by on-call tooling and dashboards; holds no secrets.
            data: {
                region: config.region,
                site: site.id,
                city: site.city,
                wave: String(site.wave),
                hosts: site.hosts.map((h) => `${h.id}:${h.role}`).join(","),
                k3sVersion: versions.k3s,
                wasmedgeShimVersion: versions.wasmedgeShim,
            },
        },
    ];
}
