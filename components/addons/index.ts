/**
 * Per-site add-ons (tracking service, Gatekeeper, MQTT broker, monitoring) on the site's provider.
 * Entry point the site component calls; each add-on has pure payload builders beside it.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { EstateConfig, SiteConfig, Versions } from "../config/types";
import type { EdgeHost } from "../host/host";
import { EDGE_SYSTEM_NAMESPACE } from "../site/objects";
import { deployBackups } from "./backups";
import { deployBroker } from "./broker";
import { deployGatekeeper } from "./gatekeeper";
import { deployMonitoring } from "./monitoring";
import { deployTracking } from "./tracking";

export interface SiteAddonsArgs {
    config: EstateConfig;
    site: SiteConfig;
    versions: Versions;
    provider: k8s.Provider;
    /** Hosts of the site keyed by host id (for per-host steps such as image import over SSH). */
    hosts: Map<string, EdgeHost>;
    sshPrivateKey: pulumi.Output<string>;
    /** Foundation objects (edge-system namespace ...) the add-ons depend on. */
    foundation: pulumi.Resource[];
}

/** Registers the site's add-ons as children of `parent` (the site component), keyed by site and host ids. */
export function deploySiteAddons(parent: pulumi.ComponentResource, args: SiteAddonsArgs): void {
    // Gatekeeper first in the file, but nothing waits on it: admission applies to whatever comes after it
    // is ready, and the audit reports anything admitted before.
    deployGatekeeper(parent, args);
    const broker = deployBroker(parent, { ...args, namespace: EDGE_SYSTEM_NAMESPACE });
    deployTracking(parent, { ...args, namespace: EDGE_SYSTEM_NAMESPACE, mqttCredentialsSecret: broker.trackingCredentialsSecret, dependsOn: [broker.service] });
    deployMonitoring(parent, args);
    deployBackups(parent, args);
}
