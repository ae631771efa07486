/**
 * Base of the per-site add-on components (tracking, gatekeeper, broker, monitoring, monitoring hub): one
 * ComponentResource under the site, its Kubernetes objects and secrets as children, applied on the site's
 * provider. Before the add-ons were components their children were parented to the site directly; every child
 * carries that earlier identity as an alias, so a deployed stack keeps its resources.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { applyObjects, type KubeObject } from "../k8s/apply";
import type { SitePlan } from "../plan";

/** What every add-on gets from its site. */
export interface SiteAddonArgs {
    plan: SitePlan;
    /** The site's Kubernetes provider. */
    provider: k8s.Provider;
    /** Foundation objects (the edge-system namespace ...) the add-on's objects depend on. */
    foundation: pulumi.Resource[];
}

export abstract class SiteAddon extends pulumi.ComponentResource {
    /** Options of every child: parented here, known by its old URN under the site. */
    protected readonly childOpts: { parent: pulumi.Resource; aliases: pulumi.Alias[] };

    constructor(type: string, name: string, opts: pulumi.ComponentResourceOptions & { parent: pulumi.Resource }) {
        super(type, name, {}, opts);
        this.childOpts = { parent: this, aliases: [{ parent: opts.parent.urn }] };
    }

    /** Registers objects on the site's provider as children of this add-on. */
    protected applyObjects(args: SiteAddonArgs, objects: KubeObject[], dependsOn: pulumi.Input<pulumi.Input<pulumi.Resource>[]>): Map<string, pulumi.CustomResource> {
        return applyObjects(objects, { siteId: args.plan.site.id, provider: args.provider, dependsOn, ...this.childOpts });
    }
}
