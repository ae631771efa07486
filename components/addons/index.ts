/**
 * The per-site add-ons (Gatekeeper, MQTT broker, tracking service, monitoring and, on the hub site, the
 * monitoring hub), one component each under the site, on the site's provider. Each has pure payload builders
 * beside it; `addonHostSteps` is what the add-ons need on every host (the EdgeHost extra-step hook).
 */
import * as pulumi from "@pulumi/pulumi";
import type { HostConfig } from "../config/types";
import type { EdgeHost } from "../host/host";
import type { ExtraHostStep } from "../host/steps";
import { addonResourceName } from "../naming";
import type { SitePlan } from "../plan";
import { EDGE_SYSTEM_NAMESPACE } from "../site/objects";
import type { SiteAddonArgs } from "./addon";
import { backupHostSteps } from "./backups/steps";
import { Broker } from "./broker";
import type { RegionTlsCa } from "./broker/tls";
import { Gatekeeper } from "./gatekeeper";
import { Monitoring, type MonitoringCredentials, MonitoringHub } from "./monitoring";
import { Tracking, trackingDataDirStep, trackingHostSteps } from "./tracking";
import type { OciArchiveInfo } from "./tracking/image";

/** Estate-wide inputs of the add-ons, created once by the estate. */
export interface EstateShared {
    monitoring: MonitoringCredentials;
    /** The region TLS CA (listeners that leave the pod network). */
    regionTls: RegionTlsCa;
    /** The tracking image archive, inspected once; undefined when a registry image is configured. */
    trackingArchive: OciArchiveInfo | undefined;
}

export function addonHostSteps(plan: SitePlan, host: HostConfig, shared: EstateShared): ExtraHostStep[] {
    // The tracking image import first, then the datastore backups, then the tracking data directory (appended
    // last so the steps' NN of deployed stacks stay unchanged).
    return [...trackingHostSteps(plan, host, shared.trackingArchive), ...backupHostSteps(plan, host), trackingDataDirStep()];
}

export interface SiteAddons {
    gatekeeper: Gatekeeper;
    broker: Broker;
    tracking: Tracking;
    monitoring: Monitoring;
    hub?: MonitoringHub;
}

/** Registers the site's add-on components as children of `site`. */
export function deploySiteAddons(site: pulumi.Resource, args: SiteAddonArgs & { hosts: Map<string, EdgeHost>; shared: EstateShared }): SiteAddons {
    const { plan, shared } = args;
    const id = plan.site.id;
    const base: SiteAddonArgs = { plan, provider: args.provider, foundation: args.foundation };
    const opts = { parent: site };
    // Gatekeeper first, but nothing waits on it: admission applies to whatever comes after it is ready, and the
    // audit reports anything admitted before.
    const gatekeeper = new Gatekeeper(addonResourceName(id, "gatekeeper"), base, opts);
    const broker = new Broker(addonResourceName(id, "broker"), { ...base, namespace: EDGE_SYSTEM_NAMESPACE, regionTls: shared.regionTls }, opts);
    // The tracking pods wait for every host's image import and data directory.
    const imports = [...args.hosts.values()].flatMap((h) => [...h.extras.entries()].filter(([name]) => name === "import-image" || name === "tracking-data-dir").map(([, cmd]) => cmd));
    const tracking = new Tracking(
        addonResourceName(id, "tracking"),
        { ...base, namespace: EDGE_SYSTEM_NAMESPACE, archive: shared.trackingArchive, imports, mqttCredentialsSecret: broker.trackingCredentialsSecret, dependsOn: [broker.service] },
        opts,
    );
    const remoteWritePassword = shared.monitoring.remoteWrite.get(id);
    if (!remoteWritePassword) throw new Error(`site ${id} has no remote-write password`);
    const monitoring = new Monitoring(addonResourceName(id, "monitoring"), { ...base, remoteWritePassword: pulumi.secret(remoteWritePassword.result), regionTls: shared.regionTls }, opts);
    const hub = plan.isHub ? new MonitoringHub(addonResourceName(id, "monitoring-hub"), { ...base, credentials: shared.monitoring, namespace: monitoring.namespace, regionTls: shared.regionTls }, opts) : undefined;
    return { gatekeeper, broker, tracking, monitoring, ...(hub ? { hub } : {}) };
}
