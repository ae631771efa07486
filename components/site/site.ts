/**
 * One city site: the cluster CA and K3s tokens (cluster-trust.ts), its hosts (first server, then joining servers and agents, each owning its own
 * commands), the site's own Kubernetes provider, the foundation objects and one component per add-on.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { addonHostSteps, deploySiteAddons, type EstateShared, type SiteAddons } from "../addons";
import { EdgeHost } from "../host/host";
import { applyObjects } from "../k8s/apply";
import { hostResourceName, providerResourceName } from "../naming";
import type { SitePlan } from "../plan";
import { siteClusterTrust } from "./cluster-trust";
import { siteNetworkPolicies } from "./network-policies";
import { externalKubeconfig } from "./kubeconfig";
import { siteFoundationObjects } from "./objects";

export interface EdgeSiteArgs {
    plan: SitePlan;
    sshPrivateKey: pulumi.Output<string>;
    /** What the estate creates once for all sites (monitoring credentials, the tracking archive). */
    shared: EstateShared;
}

export class EdgeSite extends pulumi.ComponentResource {
    declare readonly provider: k8s.Provider;
    declare readonly hosts: Map<string, EdgeHost>;
    declare readonly addons: SiteAddons;
    /** The site's K3s API URL (from the plan: IPv6 addresses in brackets). */
    declare readonly apiServer: string;

    constructor(name: string, args: EdgeSiteArgs, opts?: pulumi.ComponentResourceOptions) {
        super("edge-estate:index:Site", name, {}, opts);
        const { plan, shared } = args;
        const { config, site, firstServer } = plan;

        // The cluster CA and both join tokens are the program's: secure token form from the first start.
        const trust = siteClusterTrust(site.id, config.region, this);

        const hosts = new Map<string, EdgeHost>();
        const hostArgs = (host: typeof firstServer) => ({ plan, host, trust, sshPrivateKey: args.sshPrivateKey, extraSteps: addonHostSteps(plan, host, shared) });
        const first = new EdgeHost(hostResourceName(site.id, firstServer.id), hostArgs(firstServer), { parent: this });
        hosts.set(firstServer.id, first);
        // Joining servers and agents need the first server's API up; they do not depend on each other.
        for (const host of site.hosts) {
            if (host.id === firstServer.id) continue;
            hosts.set(host.id, new EdgeHost(hostResourceName(site.id, host.id), { ...hostArgs(host), after: [first.ready] }, { parent: this }));
        }

        const kubeconfig = pulumi.secret(first.kubeconfig!.apply((raw) => externalKubeconfig(raw, plan.apiUrl)));
        const provider = new k8s.Provider(
            providerResourceName(site.id),
            {
                kubeconfig,
                // A stable identity: kubeconfig changes (new certs, address) never replace the provider and its objects.
                clusterIdentifier: `${config.region}/${site.id}`,
                // A down site keeps its state on up/refresh instead of failing the region.
                skipUpdateUnreachable: true,
                deleteUnreachable: false,
                enableServerSideApply: true,
            },
            { parent: this },
        );

        const foundation = [
            ...applyObjects(siteFoundationObjects(plan), {
                siteId: site.id,
                provider,
                parent: this,
                dependsOn: [...hosts.values()].map((h) => h.ready),
            }).values(),
        ];
        this.addons = deploySiteAddons(this, { plan, provider, foundation, hosts, shared });
        // Default-deny plus the needed flows, once the namespaces exist (network-policies.ts has the table).
        applyObjects(siteNetworkPolicies(plan), {
            siteId: site.id,
            provider,
            parent: this,
            dependsOn: [...foundation, ...(Object.values(this.addons) as pulumi.Resource[])],
        });

        this.provider = provider;
        this.hosts = hosts;
        this.apiServer = plan.apiUrl;
        this.registerOutputs({ apiServer: this.apiServer });
    }
}
