/**
 * One edge host: every command that touches the box. Its day-2 probe, the airgap artifact pushes, the ordered
 * remote.Commands that take a bare Linux box to a K3s node with Wasm verified, and the add-ons' extra steps
 * (ExtraHostStep: e.g. the tracking image push and import), all parented here. The site wires hosts together
 * (join order) and reads the kubeconfig output.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import type { EstateConfig, HostConfig } from "../config/types";
import { artifactPushName, probeResourceName, stepResourceName } from "../naming";
import type { SitePlan } from "../plan";
import type { ClusterTrust } from "../site/cluster-trust";
import { HostProbe } from "./probe";
import { remoteCommandLine } from "./remote-script";
import { EDGE_STATE_DIR, type ExtraHostStep, hostArtifacts, planHostSteps, renderExtraStep, renderStep } from "./steps";

export interface EdgeHostArgs {
    plan: SitePlan;
    host: HostConfig;
    /** The site's cluster CA and join tokens (secret); fed to the k3s-config step on stdin only. */
    trust: ClusterTrust;
    sshPrivateKey: pulumi.Output<string>;
    /** Runs before this host's first step (joining nodes wait for the first server). */
    after?: pulumi.Resource[];
    /** Steps the site's add-ons need on this host, run after the host is provisioned. */
    extraSteps?: ExtraHostStep[];
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
export function joinStdin(trust: ClusterTrust, host: HostConfig, firstServerId: string): pulumi.Output<string> {
    if (host.role === "agent") return pulumi.secret(pulumi.interpolate`${trust.agentToken}\n\n`);
    return pulumi.secret(pulumi.interpolate`${trust.serverToken}\n${trust.agentToken}\n${host.id === firstServerId ? trust.caBundle : ""}`);
}

export class EdgeHost extends pulumi.ComponentResource {
    /** The last provisioning command: K3s running with the wasmedge runtime verified. */
    declare readonly ready: pulumi.Resource;
    /** Raw admin kubeconfig (secret); only on the site's first server. */
    declare readonly kubeconfig: pulumi.Output<string> | undefined;
    /** The day-2 probe of this host. */
    declare readonly probe: HostProbe;
    /** The last command of each extra step, by step name (add-ons depend on them). */
    declare readonly extras: Map<string, pulumi.Resource>;

    constructor(name: string, args: EdgeHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("edge-estate:index:Host", name, {}, opts);
        const { plan, host } = args;
        const { config, site, versions } = plan;
        // Registered by the site before hosts owned their commands: the old URNs had the site as parent.
        const movedFromSite = opts?.parent ? { aliases: [{ parent: opts.parent.urn }] } : {};
        const connection = sshConnection(config, host, args.sshPrivateKey);

        // Day-2: a refresh that finds a new machine-id (re-imaged host) re-provisions this host only.
        const probe = new HostProbe(
            probeResourceName(site.id, host.id),
            {
                siteId: site.id,
                hostId: host.id,
                address: host.address,
                port: host.port,
                user: host.user,
                ...(host.hostKey ? { hostKey: host.hostKey } : {}),
                privateKey: args.sshPrivateKey,
                expectedK3sVersion: versions.k3s,
                connectTimeoutSeconds: Math.max(1, config.ssh.perDialTimeout || 10),
            },
            { parent: this, ...movedFromSite },
        );
        const reprovisionTriggers = [probe.machineId];
        let previous: pulumi.Resource[] = args.after ?? [];

        if (config.artifacts.mode === "airgap") {
            // Push the locally cached artifacts (scripts/fetch-artifacts.sh); the fetch step verifies their digests.
            const pushes = hostArtifacts(config, versions).map(
                (a) =>
                    new command.remote.CopyToRemote(
                        artifactPushName(site.id, host.id, a.name),
                        {
                            connection,
                            source: new pulumi.asset.FileAsset(path.resolve(config.artifacts.cacheDir, a.name)),
                            remotePath: `${EDGE_STATE_DIR}/incoming/${a.name}`,
                            // A re-imaged host has lost the pushed files: push again with the re-provisioning.
                            triggers: [a.sha256, ...reprovisionTriggers],
                        },
                        { parent: this, dependsOn: previous },
                    ),
            );
            previous = pushes;
        }

        let kubeconfig: pulumi.Output<string> | undefined;
        const steps = planHostSteps(plan, host);
        for (const step of steps) {
            const secret = step.stdinToken || step.secretStdout;
            const cmd = new command.remote.Command(
                stepResourceName(site.id, host.id, step.order, step.name),
                {
                    connection,
                    create: remoteCommandLine(renderStep(site, host, step), host.user),
                    ...(step.stdinToken ? { stdin: joinStdin(args.trust, host, plan.firstServer.id) } : {}),
                    // Steps that touch a secret never stream output to the CLI log.
                    logging: secret ? "none" : "stdoutAndStderr",
                    addPreviousOutputInEnv: false,
                    triggers: reprovisionTriggers,
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
        const ready = previous[0] as command.remote.Command;

        // The id of the host's last provisioning step changes whenever the host is re-provisioned (e.g. after a
        // re-image): extra steps must then run again, the fresh host has lost what they left there.
        const provisioned = ready.id;
        const extras = new Map<string, pulumi.Resource>();
        (args.extraSteps ?? []).forEach((extra, i) => {
            let before: pulumi.Resource[] = [ready];
            if (extra.push) {
                before = [
                    new command.remote.CopyToRemote(
                        extra.push.resourceName,
                        {
                            connection,
                            source: new pulumi.asset.FileAsset(extra.push.source),
                            remotePath: extra.push.remotePath,
                            triggers: [...extra.push.triggers, provisioned],
                        },
                        { parent: this, dependsOn: before, ...movedFromSite },
                    ),
                ];
            }
            const { order, script } = renderExtraStep(plan, host, steps.length, i, extra);
            const cmd = new command.remote.Command(
                stepResourceName(site.id, host.id, order, extra.name),
                {
                    connection,
                    create: remoteCommandLine(script, host.user),
                    logging: "stdoutAndStderr",
                    addPreviousOutputInEnv: false,
                    triggers: [...extra.triggers, provisioned],
                },
                { parent: this, dependsOn: before, customTimeouts: { create: extra.timeout, update: extra.timeout }, ...movedFromSite },
            );
            extras.set(extra.name, cmd);
        });

        this.ready = ready;
        this.kubeconfig = kubeconfig;
        this.probe = probe;
        this.extras = extras;
        this.registerOutputs({ kubeconfig });
    }
}
