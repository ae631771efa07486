/**
 * One edge host: the ordered remote.Commands that take a bare Linux box to a K3s node with Wasm verified.
 * Parent of its commands; the site wires hosts together (join order) and reads the kubeconfig output.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import type { EstateConfig, HostConfig, SiteConfig, Versions } from "../config/types";
import { remoteCommandLine } from "./remote-script";
import type { ClusterTrust } from "../site/cluster-trust";
import { EDGE_STATE_DIR, hostArtifacts, planHostSteps, renderStep, siteTopology } from "./steps";

export interface EdgeHostArgs {
    config: EstateConfig;
    site: SiteConfig;
    host: HostConfig;
    versions: Versions;
    /** The site's cluster CA and join tokens (secret); fed to the k3s-config step on stdin only. */
    trust: ClusterTrust;
    sshPrivateKey: pulumi.Output<string>;
    /** Runs before this host's first step (joining nodes wait for the first server). */
    after?: pulumi.Resource[];
    /**
     * Extra inputs whose change must re-run every step (e.g. the day-2 host probe's machine id: a re-imaged
     * host is re-provisioned from scratch). Changing a trigger replaces the commands.
     */
    reprovisionTriggers?: pulumi.Input<unknown>[];
}

/** Resource name of a host step: <site>.<host>.<NN>-<step>. Synth parses it back; keep the format. */
export function stepResourceName(siteId: string, hostId: string, order: string, step: string): string {
    return `${siteId}.${hostId}.${order}-${step}`;
}

export function sshConnection(config: EstateConfig, host: HostConfig, privateKey: pulumi.Output<string>): command.types.input.remote.ConnectionArgs {
    return {
        host: host.address,
        port: host.port,
        user: host.user,
        privateKey,
        ...(host.hostKey ? { hostKey: host.hostKey } : {}),
        dialErrorLimit: config.ssh.dialErrorLimit,
        perDialTimeout: config.ssh.perDialTimeout,
    };
}

/**
 * What the k3s-config step reads on stdin: line 1 the host's join token (servers the server token, agents the
 * agent token), line 2 the agent token servers accept (empty on agents), then on the first server only the
 * cluster CA files ("<file> <base64>" lines). Secret as a whole.
 */
export function joinStdin(trust: ClusterTrust, host: HostConfig, site: SiteConfig): pulumi.Output<string> {
    const first = siteTopology(site).firstServer.id === host.id;
    if (host.role === "agent") return pulumi.secret(pulumi.interpolate`${trust.agentToken}\n\n`);
    return pulumi.secret(pulumi.interpolate`${trust.serverToken}\n${trust.agentToken}\n${first ? trust.caBundle : ""}`);
}

export class EdgeHost extends pulumi.ComponentResource {
    /** The last provisioning command: K3s running with the wasmedge runtime verified. */
    declare readonly ready: pulumi.Resource;
    /** Raw admin kubeconfig (secret); only on the site's first server. */
    declare readonly kubeconfig: pulumi.Output<string> | undefined;

    constructor(name: string, args: EdgeHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("edge-estate:index:Host", name, {}, opts);
        const { config, site, host, versions } = args;
        const connection = sshConnection(config, host, args.sshPrivateKey);
        let previous: pulumi.Resource[] = args.after ?? [];

        if (config.artifacts.mode === "airgap") {
            // Push the locally cached artifacts (scripts/fetch-artifacts.sh); the fetch step verifies their digests.
            const pushes = hostArtifacts(config, versions).map(
                (a) =>
                    new command.remote.CopyToRemote(
                        `${site.id}.${host.id}.push-${a.name}`,
                        {
                            connection,
                            source: new pulumi.asset.FileAsset(path.resolve(config.artifacts.cacheDir, a.name)),
                            remotePath: `${EDGE_STATE_DIR}/incoming/${a.name}`,
                            // A re-imaged host has lost the pushed files: push again with the re-provisioning.
                            triggers: [a.sha256, ...(args.reprovisionTriggers ?? [])],
                        },
                        { parent: this, dependsOn: previous },
                    ),
            );
            previous = pushes;
        }

        let kubeconfig: pulumi.Output<string> | undefined;
        for (const step of planHostSteps(config, site, host, versions)) {
            const secret = step.stdinToken || step.secretStdout;
            const cmd = new command.remote.Command(
                stepResourceName(site.id, host.id, step.order, step.name),
                {
                    connection,
                    create: remoteCommandLine(renderStep(site, host, step), host.user),
                    ...(step.stdinToken ? { stdin: joinStdin(args.trust, host, site) } : {}),
                    // Steps that touch a secret never stream output to the CLI log.
                    logging: secret ? "none" : "stdoutAndStderr",
                    addPreviousOutputInEnv: false,
                    ...(args.reprovisionTriggers ? { triggers: args.reprovisionTriggers } : {}),
                },
                {
                    parent: this,
                    dependsOn: previous,
                    additionalSecretOutputs: step.secretStdout ? ["stdout"] : [],
                    customTimeouts: { create: "30m", update: "30m" },
                },
            );
            if (step.secretStdout) kubeconfig = pulumi.secret(cmd.stdout);
            previous = [cmd];
        }
        this.ready = previous[0];
        this.kubeconfig = kubeconfig;
        this.registerOutputs({ kubeconfig });
    }
}
