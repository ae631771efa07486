/** The region stack: one EdgeSite per configured site, keyed by site id. */
import * as pulumi from "@pulumi/pulumi";
import type { EstateConfig } from "./config/types";
import { EdgeSite } from "./site/site";

export interface EdgeEstateArgs {
    config: EstateConfig;
    sshPrivateKey: pulumi.Output<string>;
}

export class EdgeEstate extends pulumi.ComponentResource {
    declare readonly sites: Map<string, EdgeSite>;

    constructor(name: string, args: EdgeEstateArgs, opts?: pulumi.ComponentResourceOptions) {
        super("edge-estate:index:Estate", name, {}, opts);
        const sites = new Map<string, EdgeSite>();
        for (const site of args.config.sites) {
            sites.set(site.id, new EdgeSite(site.id, { config: args.config, site, sshPrivateKey: args.sshPrivateKey }, { parent: this }));
        }
        this.sites = sites;
        this.registerOutputs({ siteIds: [...sites.keys()] });
    }
}

/** Stack outputs: what each site exposes (no secrets). */
export function estateOutputs(config: EstateConfig, estate: EdgeEstate) {
    return {
        region: config.region,
        sites: Object.fromEntries([...estate.sites].map(([id, s]) => [id, { apiServer: s.apiServer }])),
        unpinnedArtifacts: config.artifacts.unpinned,
    };
}
