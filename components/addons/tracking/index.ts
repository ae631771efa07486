/**
 * Pulumi wiring of the tracking-service rollout on one site. Without a registry: per host, copy the OCI archive
 * over SSH and import it into K3s's containerd (scripts/remote/import-image.sh), then the Deployment pins the
 * manifest digest. With `tracking.registryImage`: no copy, the image is pulled by digest.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { EstateConfig, HostConfig, SiteConfig, Versions } from "../../config/types";
import { sshConnection, stepResourceName } from "../../host/host";
import { remoteCommandLine, renderRemoteScript } from "../../host/remote-script";
import { EDGE_STATE_DIR, planHostSteps } from "../../host/steps";
import { applyObjects } from "../../k8s/apply";
import type { SiteAddonsArgs } from "../index";
import { componentBudget } from "../common";
import { inspectOciArchive, LOCAL_IMAGE_REPOSITORY, localImageRef, type OciArchiveInfo, ociArchivePath } from "./image";
import { buildTrackingObjects } from "./objects";

export interface AddonHostStep {
    /** e.g. "07" */
    order: string;
    name: string;
    /** scripts/remote/<file> */
    file: string;
    env: Record<string, string>;
}

/**
 * A host step owned by an add-on, ordered after the host's own steps (its NN continues the host's numbering,
 * so synth writes it next to them), rendered through the same script machinery as the host steps.
 */
export function addonHostStep(config: EstateConfig, site: SiteConfig, host: HostConfig, versions: Versions, name: string, file: string, env: Record<string, string>, offset = 0): AddonHostStep {
    const order = String(planHostSteps(config, site, host, versions).length + offset).padStart(2, "0");
    return {
        order,
        name,
        file,
        env: { EDGE_REGION: config.region, EDGE_SITE_ID: site.id, EDGE_HOST_ID: host.id, EDGE_ROLE: host.role, EDGE_STATE_DIR, ...env, EDGE_STEP: `${order}-${name}` },
    };
}

export function renderAddonHostStep(site: SiteConfig, host: HostConfig, step: AddonHostStep): string {
    return renderRemoteScript({
        file: step.file,
        env: step.env,
        header: [`edge-estate add-on step ${step.order}-${step.name} for host ${host.id} (${host.role}) of site ${site.id}; source: scripts/remote/${step.file}`, "stdin: none"],
    });
}

/** Where the archive lands on a host: root writes into the root-only state dir; sudo users land in /tmp and the step moves it. */
export function remoteArchivePath(host: HostConfig, image: OciArchiveInfo): string {
    const file = `logistics-system-${image.manifestDigest.slice("sha256:".length, "sha256:".length + 16)}.oci.tar`;
    // $EDGE_STATE_DIR/artifacts exists (0700) once the host's fetch-artifacts step ran, in both artifact modes.
    return host.user === "root" ? `${EDGE_STATE_DIR}/artifacts/${file}` : `/tmp/${file}`;
}

export function importImageStep(config: EstateConfig, site: SiteConfig, host: HostConfig, versions: Versions, image: OciArchiveInfo): AddonHostStep {
    return addonHostStep(config, site, host, versions, "import-image", "import-image.sh", {
        IMAGE_ARCHIVE: remoteArchivePath(host, image),
        IMAGE_ARCHIVE_SHA256: image.archiveSha256,
        IMAGE_REPOSITORY: LOCAL_IMAGE_REPOSITORY,
        IMAGE_DIGEST: image.manifestDigest,
    });
}

export interface TrackingArgs extends SiteAddonsArgs {
    namespace: string;
    mqttCredentialsSecret: string;
    /** The broker Service (its service-link variables must exist before the first tracking pod starts). */
    dependsOn: pulumi.Resource[];
}

export function deployTracking(parent: pulumi.ComponentResource, args: TrackingArgs): pulumi.Resource[] {
    const { config, site, versions } = args;
    const replicas = site.trackingReplicas ?? config.tracking.replicas;
    let image: string;
    let imports: pulumi.Resource[] = [];
    if (config.tracking.registryImage) {
        image = config.tracking.registryImage;
    } else {
        const archive = inspectOciArchive(ociArchivePath());
        image = localImageRef(archive.manifestDigest);
        imports = site.hosts.map((host) => {
            const edgeHost = args.hosts.get(host.id);
            if (!edgeHost) throw new Error(`site ${site.id}: host ${host.id} has no EdgeHost component`);
            const connection = sshConnection(config, host, args.sshPrivateKey);
            // The id of the host's last provisioning step changes whenever the host is re-provisioned (e.g. after
            // a re-image): the copy and the import must then run again, the fresh containerd has no image.
            const provisioned = (edgeHost.ready as pulumi.CustomResource).id;
            const copy = new command.remote.CopyToRemote(
                `${site.id}.${host.id}.push-tracking-image`,
                {
                    connection,
                    source: new pulumi.asset.FileAsset(archive.path),
                    remotePath: remoteArchivePath(host, archive),
                    triggers: [archive.archiveSha256, provisioned],
                },
                { parent, dependsOn: [edgeHost.ready] },
            );
            const step = importImageStep(config, site, host, versions, archive);
            return new command.remote.Command(
                stepResourceName(site.id, host.id, step.order, step.name),
                {
                    connection,
                    create: remoteCommandLine(renderAddonHostStep(site, host, step), host.user),
                    logging: "stdoutAndStderr",
                    addPreviousOutputInEnv: false,
                    triggers: [archive.manifestDigest, archive.archiveSha256, provisioned],
                },
                { parent, dependsOn: [copy], customTimeouts: { create: "10m", update: "10m" } },
            );
        });
    }
    const objects = buildTrackingObjects({
        site,
        namespace: args.namespace,
        image,
        imagePullPolicy: config.tracking.registryImage ? "IfNotPresent" : "Never",
        replicas,
        httpPort: config.tracking.httpPort,
        resources: componentBudget(config.budget.components, "tracking"),
        mqttCredentialsSecret: args.mqttCredentialsSecret,
    });
    return [
        ...applyObjects(objects, {
            siteId: site.id,
            provider: args.provider,
            parent,
            dependsOn: [...args.foundation, ...args.dependsOn, ...imports],
        }).values(),
    ];
}
