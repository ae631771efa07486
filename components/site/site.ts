/**
 * One city site: its hosts (first server, then joining servers and agents), the K3s token, the site's own
 * Kubernetes provider and everything applied through it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { deploySiteAddons } from "../addons";
import type { EstateConfig, HostConfig, SiteConfig } from "../config/types";
import { versionsForSite } from "../config/validate";
import { EdgeHost } from "../host/host";
import { newHostProbe } from "../host/probe";
import { siteTopology } from "../host/steps";
import { applyObjects } from "../k8s/apply";
import { siteClusterTrust } from "./cluster-trust";
import { externalKubeconfig } from "./kubeconfig";
import { siteFoundationObjects } from "./objects";

export interface EdgeSiteArgs {
    config: EstateConfig;
    site: SiteConfig;
    sshPrivateKey: pulumi.Output<string>;
}

export class EdgeSite extends pulumi.ComponentResource {
    declare readonly provider: k8s.Provider;
    declare readonly hosts: Map<string, EdgeHost>;
    declare readonly apiServer: string;

    constructor(name: string, args: EdgeSiteArgs, opts?: pulumi.ComponentResourceOptions) {
        super("edge-estate:index:Site", name, {}, opts);
        const { config, site } = args;
        const versions = versionsForSite(config, site);
        const { firstServer } = siteTopology(site);

        // The cluster CA and both join tokens are the program's: secure token form from the first start.
        const trust = siteClusterTrust(site.id, config.region, this);

        const hosts = new Map<string, EdgeHost>();
        const hostArgs = { config, site, versions, trust, sshPrivateKey: args.sshPrivateKey };
        // Day-2: a refresh that finds a new machine-id (re-imaged host) re-provisions that host only.
        const reprovisionTriggers = (host: HostConfig) => [newHostProbe(config, site, host, versions, args.sshPrivateKey, this).machineId];
        const first = new EdgeHost(`${site.id}.${firstServer.id}`, { ...hostArgs, host: firstServer, reprovisionTriggers: reprovisionTriggers(firstServer) }, { parent: this });
        hosts.set(firstServer.id, first);
        // Joining servers and agents need the first server's API up; they do not depend on each other.
        for (const host of site.hosts) {
            if (host.id === firstServer.id) continue;
            hosts.set(host.id, new EdgeHost(`${site.id}.${host.id}`, { ...hostArgs, host, after: [first.ready], reprovisionTriggers: reprovisionTriggers(host) }, { parent: this }));
        }

        const kubeconfig = pulumi.secret(first.kubeconfig!.apply((raw) => externalKubeconfig(raw, firstServer)));
        const provider = new k8s.Provider(
            `${site.id}-k8s`,
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
            ...applyObjects(siteFoundationObjects(config, site, versions), {
                siteId: site.id,
                provider,
                parent: this,
                dependsOn: [...hosts.values()].map((h) => h.ready),
            }).values(),
        ];
        deploySiteAddons(this, { config, site, versions, provider, hosts, sshPrivateKey: args.sshPrivateKey, foundation });

        this.provider = provider;
        this.hosts = hosts;
        this.apiServer = `https://${firstServer.address}:6443`;
        this.registerOutputs({ apiServer: this.apiServer });
    }
}
