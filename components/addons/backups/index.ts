/** Pulumi wiring of the datastore-backup step on every K3s server of a site (pure builders in ./steps). */
import * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import { sshConnection, stepResourceName } from "../../host/host";
import { remoteCommandLine } from "../../host/remote-script";
import type { SiteAddonsArgs } from "../index";
import { renderAddonHostStep } from "../tracking";
import { datastoreBackupStep } from "./steps";

export function deployBackups(parent: pulumi.ComponentResource, args: SiteAddonsArgs): pulumi.Resource[] {
    const { config, site, versions } = args;
    return site.hosts
        .filter((h) => h.role === "server")
        .map((host) => {
            const edgeHost = args.hosts.get(host.id);
            if (!edgeHost) throw new Error(`site ${site.id}: host ${host.id} has no EdgeHost component`);
            const step = datastoreBackupStep(config, site, host, versions);
            // A re-provisioned host (new id of its last step) has lost the timers: run again.
            const provisioned = (edgeHost.ready as pulumi.CustomResource).id;
            return new command.remote.Command(
                stepResourceName(site.id, host.id, step.order, step.name),
                {
                    connection: sshConnection(config, host, args.sshPrivateKey),
                    create: remoteCommandLine(renderAddonHostStep(site, host, step), host.user),
                    logging: "stdoutAndStderr",
                    addPreviousOutputInEnv: false,
                    triggers: [provisioned],
                },
                { parent, dependsOn: [edgeHost.ready], customTimeouts: { create: "5m", update: "5m" } },
            );
        });
}
