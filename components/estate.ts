/**
 * The region stack: the estate-wide pieces (monitoring credentials, the tracking image archive) created once,
 * then one EdgeSite per configured site, keyed by site id, each given its derived plan.
 *
 * Sites are built one at a time, with a turn of the event loop between two sites. Building all 500 in one
 * synchronous pass queued every site's pending registrations (about 300 promises and closures per resource)
 * before the first could complete: the live heap grew with the estate, the garbage collector's cost grew
 * faster than linearly, and 500 sites ran out of heap under mocks. Yielding lets each site's registrations
 * go out (and, under mocks, finish) before the next site is built, so the heap stays the size of one site plus
 * what the estate keeps. Construction order, names and parents are unchanged.
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
    /** Every site so far, by site id; complete once `ready` resolves. */
    declare readonly sites: Map<string, EdgeSite>;
    /** Resolves when every site has been built; rejects if building one failed. The outputs wait for it. */
    declare readonly ready: Promise<void>;
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
        this.sites = new Map();
        this.ready = this.buildSites(args, shared);
        this.regionTlsCaCert = shared.regionTls.certPem;
        // Registered now (the SDK would otherwise register empty outputs as soon as the constructor returns);
        // the engine receives them once every site is built.
        this.registerOutputs({ siteIds: pulumi.output(this.ready.then(() => [...this.sites.keys()])) });
    }

    private async buildSites(args: EdgeEstateArgs, shared: EstateShared): Promise<void> {
        for (const plan of args.plan.sites) {
            this.sites.set(plan.site.id, new EdgeSite(siteResourceName(plan.site.id), { plan, sshPrivateKey: args.sshPrivateKey, shared }, { parent: this }));
            await nextTurn();
        }
    }
}

/** One turn of the event loop (after pending promise callbacks and I/O), not just a microtask. */
function nextTurn(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
}

/** Stack outputs: what each site exposes (no secrets). */
export function estateOutputs(plan: EstatePlan, estate: EdgeEstate) {
    return {
        region: plan.config.region,
        sites: pulumi.output(estate.ready.then(() => Object.fromEntries([...estate.sites].map(([id, s]) => [id, { apiServer: s.apiServer }])))),
        regionTlsCaCert: estate.regionTlsCaCert,
        unpinnedArtifacts: plan.config.artifacts.unpinned,
    };
}
