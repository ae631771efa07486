// components/addons/budget.ts: the budget table adds up what the add-ons really deploy. Its rows are checked
// against the containers of the objects the builders produce (and the Gatekeeper chart values), per site.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildBrokerObjects } from "../../../components/addons/broker/objects";
import { budgetMarkdown, siteBudget } from "../../../components/addons/budget";
import { gatekeeperChartValues } from "../../../components/addons/gatekeeper/chart";
import { hubMonitoringObjects, siteMonitoringObjects } from "../../../components/addons/monitoring/objects";
import { buildTrackingObjects } from "../../../components/addons/tracking/objects";
import { loadStackFile } from "../../../components/config/load";
import { toBytes, toMilliCpu } from "../../../components/config/quantity";
import type { SiteConfig } from "../../../components/config/types";
import type { KubeObject } from "../../../components/k8s/apply";
import { planSite } from "../../../components/plan";

const root = path.join(__dirname, "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));

/** Requests/limits of every container the add-on builders put on a site, times its pod count. */
function deployedTotals(site: SiteConfig) {
    const objs: KubeObject[] = [
        ...buildTrackingObjects({
            site,
            schedulableHosts: planSite(config, site).schedulableHosts,
            namespace: "edge-system",
            image: "x",
            imagePullPolicy: "Never",
            replicas: site.trackingReplicas ?? config.tracking.replicas,
            httpPort: 8080,
            resources: config.budget.components.tracking,
            mqttCredentialsSecret: "s",
        }),
        ...buildBrokerObjects({ site, namespace: "edge-system", mosquittoVersion: "2.0.18", resources: config.budget.components.broker, pinnedHostId: "srv-a", passwordFile: "", credentials: {} }),
        ...siteMonitoringObjects(planSite(config, site), "pw", "ca"),
        ...(site.id === config.monitoring.hubSite ? hubMonitoringObjects(config, config.versions, { webConfigYaml: "", readerPassword: "r", grafanaAdminPassword: "g", hubTls: { chainPem: "c", keyPem: "k" }, grafanaTls: { chainPem: "c", keyPem: "k" } }) : []),
    ];
    const t = { cpuRequest: 0, memoryRequest: 0, cpuLimit: 0, memoryLimit: 0 };
    const add = (n: number, r: any) => {
        t.cpuRequest += n * toMilliCpu(r.requests.cpu);
        t.memoryRequest += n * toBytes(r.requests.memory);
        t.cpuLimit += n * toMilliCpu(r.limits.cpu);
        t.memoryLimit += n * toBytes(r.limits.memory);
    };
    for (const o of objs as any[]) {
        const pods = o.kind === "Deployment" || o.kind === "StatefulSet" ? o.spec.replicas : o.kind === "DaemonSet" ? site.hosts.length : 0;
        for (const c of o.spec?.template?.spec?.containers ?? []) add(pods, c.resources);
    }
    const gk = gatekeeperChartValues(config) as any;
    add(gk.replicas, gk.controllerManager.resources);
    add(1, gk.audit.resources);
    return t;
}

describe("site budget table", () => {
    for (const site of config.sites) {
        it(`${site.id}: add-on rows equal the containers actually deployed, plus the K3s reserve per host`, () => {
            const b = siteBudget(planSite(config, site));
            const addons = b.rows.filter((r) => !r.component.startsWith("K3s"));
            const sum = (k: "cpuRequest" | "memoryRequest" | "cpuLimit" | "memoryLimit") => addons.reduce((a, r) => a + r[k], 0);
            const deployed = deployedTotals(site);
            expect({ cpuRequest: sum("cpuRequest"), memoryRequest: sum("memoryRequest"), cpuLimit: sum("cpuLimit"), memoryLimit: sum("memoryLimit") }).toEqual(deployed);
            const reserve = b.rows.filter((r) => r.component.startsWith("K3s")).reduce((a, r) => a + r.count, 0);
            expect(reserve).toBe(site.hosts.length);
            expect(b.headroom.memoryRequest).toBe(b.capacity.memory - b.total.memoryRequest);
        });
    }

    it("fits every prod site's requests and limits within its hosts (one-host sites exactly at 2 cores of limits)", () => {
        for (const site of config.sites) {
            const b = siteBudget(planSite(config, site));
            expect(b.headroom.cpuRequest, site.id).toBeGreaterThan(0);
            expect(b.headroom.memoryRequest, site.id).toBeGreaterThan(0);
            expect(b.headroom.memoryLimit, site.id).toBeGreaterThan(0);
        }
        const single = siteBudget(planSite(config, config.sites.find((s) => s.id === "hz-xihu")!));
        expect(single.headroom.cpuLimit).toBe(0);
        expect(budgetMarkdown(single)).not.toContain("CPU limits exceed capacity");
        // the table does flag an overcommit: one more tracking replica's limit tips the one-host site over
        const crowded = siteBudget(planSite(config, { ...config.sites.find((s) => s.id === "hz-xihu")!, trackingReplicas: 2 }));
        expect(crowded.headroom.cpuLimit).toBeLessThan(0);
        expect(budgetMarkdown(crowded)).toContain("CPU limits exceed capacity by 200m");
    });
});
