/**
 * Per-site add-ons (tracking service, Gatekeeper, MQTT broker, monitoring) on the site's provider.
 * Entry point the site component calls; each add-on has pure payload builders beside it.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { EstateConfig, SiteConfig, Versions } from "../config/types";
import type { EdgeHost } from "../host/host";

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

/** Registers the site's add-ons as children of `parent`. */
export function deploySiteAddons(_parent: pulumi.ComponentResource, _args: SiteAddonsArgs): void {
    // Filled in by the per-site platform work (issue 4).
}
