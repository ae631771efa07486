/**
 * The region stack: the estate-wide pieces (monitoring credentials, the tracking image archive) created once,
 * then one EdgeSite per configured site, keyed by site id, each given its derived plan.
 */
import * as pulumi from "@pulumi/pulumi";
import type { EstateShared } from "./addons";
import { regionTlsCa } from "./addons/broker/tls";
import { monitoringCredentials } from "./addons/monitoring";
import { inspectOciArchive, ociArchivePath } from "./addons/tracking/image";
import type { EstatePlan } from "./plan";
import { siteResourceName } from "./naming";
import { EdgeSite } from "./site/site";

export interface EdgeEstateArgs {
    plan: EstatePlan;
    sshPrivateKey: pulumi.Output<string>;
}

export class EdgeEstate extends pulumi.ComponentResource {
    declare readonly sites: Map<string, EdgeSite>;
    /** The region TLS CA certificate (public): what devices, sites, operators and the rollout gate pin. */
    declare readonly regionTlsCaCert: pulumi.Output<string>;

    constructor(name: string, args: EdgeEstateArgs, opts?: pulumi.ComponentResourceOptions) {
        super("edge-estate:index:Estate", name, {}, opts);
        const { config } = args.plan;
        const shared: EstateShared = {
            monitoring: monitoringCredentials(config, this),
            regionTls: regionTlsCa(config.region, this),
            // Read and verified once for the region, not once per site.
            trackingArchive: config.tracking.registryImage ? undefined : inspectOciArchive(ociArchivePath()),
        };
        const sites = new Map<string, EdgeSite>();
        for (const plan of args.plan.sites) {
            sites.set(plan.site.id, new EdgeSite(siteResourceName(plan.site.id), { plan, sshPrivateKey: args.sshPrivateKey, shared }, { parent: this }));
        }
        this.sites = sites;
        this.regionTlsCaCert = shared.regionTls.certPem;
        this.registerOutputs({ siteIds: [...sites.keys()] });
    }
}

/** Stack outputs: what each site exposes (no secrets). */
export function estateOutputs(plan: EstatePlan, estate: EdgeEstate) {
    return {
        region: plan.config.region,
        sites: Object.fromEntries([...estate.sites].map(([id, s]) => [id, { apiServer: s.apiServer }])),
        regionTlsCaCert: estate.regionTlsCaCert,
        unpinnedArtifacts: plan.config.artifacts.unpinned,
    };
}
