/**
 * The tracking-service rollout on one site. Without a registry: every host copies the OCI archive over SSH and
 * imports it into K3s's containerd (scripts/remote/import-image.sh) through the host's extra-step hook
 * (`trackingHostSteps`), then the Deployment pins the manifest digest. With `tracking.registryImage`: no copy,
 * the image is pulled by digest.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { HostConfig } from "../../config/types";
import { EDGE_STATE_DIR, type ExtraHostStep } from "../../host/steps";
import { trackingImagePushName } from "../../naming";
import { componentBudget, type SitePlan } from "../../plan";
import { SiteAddon, type SiteAddonArgs } from "../addon";
import { LOCAL_IMAGE_REPOSITORY, localImageRef, type OciArchiveInfo } from "./image";
import { buildTrackingObjects, TRACKING_HOST_DATA_DIR, TRACKING_UID } from "./objects";

/** Where the archive lands on a host: root writes into the root-only state dir; sudo users land in /tmp and the step moves it. */
export function remoteArchivePath(host: HostConfig, image: OciArchiveInfo): string {
    const file = `logistics-system-${image.manifestDigest.slice("sha256:".length, "sha256:".length + 16)}.oci.tar`;
    // $EDGE_STATE_DIR/artifacts exists (0700) once the host's fetch-artifacts step ran, in both artifact modes.
    return host.user === "root" ? `${EDGE_STATE_DIR}/artifacts/${file}` : `/tmp/${file}`;
}

/** The host steps tracking needs when the image ships as an archive: push it, then import it into containerd. */
export function trackingHostSteps(plan: SitePlan, host: HostConfig, image: OciArchiveInfo | undefined): ExtraHostStep[] {
    if (!image) return [];
    const remotePath = remoteArchivePath(host, image);
    return [
        {
            name: "import-image",
            file: "import-image.sh",
            env: { IMAGE_ARCHIVE: remotePath, IMAGE_ARCHIVE_SHA256: image.archiveSha256, IMAGE_REPOSITORY: LOCAL_IMAGE_REPOSITORY, IMAGE_DIGEST: image.manifestDigest },
            push: { resourceName: trackingImagePushName(plan.site.id, host.id), source: image.path, remotePath, triggers: [image.archiveSha256] },
            triggers: [image.manifestDigest, image.archiveSha256],
            timeout: "10m",
        },
    ];
}

/** Every host prepares the tracking data directory for the non-root uid the pod runs as (before the pod lands). */
export function trackingDataDirStep(): ExtraHostStep {
    return {
        name: "tracking-data-dir",
        file: "tracking-data-dir.sh",
        env: { TRACKING_DATA_DIR: TRACKING_HOST_DATA_DIR, TRACKING_UID: String(TRACKING_UID), TRACKING_GID: String(TRACKING_UID) },
        triggers: [],
        timeout: "2m",
    };
}

export interface TrackingArgs extends SiteAddonArgs {
    namespace: string;
    /** The archive the estate inspected once; undefined with `tracking.registryImage`. */
    archive: OciArchiveInfo | undefined;
    /** The hosts' import and data-directory steps, which the Deployment waits for. */
    imports: pulumi.Resource[];
    mqttCredentialsSecret: string;
    /** The broker Service (its service-link variables must exist before the first tracking pod starts). */
    dependsOn: pulumi.Resource[];
}

export class Tracking extends SiteAddon {
    declare readonly objects: pulumi.Resource[];

    constructor(name: string, args: TrackingArgs, opts: pulumi.ComponentResourceOptions & { parent: pulumi.Resource }) {
        super("edge-estate:addons:Tracking", name, opts);
        const { config, site, schedulableHosts, trackingReplicas } = args.plan;
        const registryImage = config.tracking.registryImage;
        if (!registryImage && !args.archive) throw new Error(`site ${site.id}: the tracking image archive was not inspected`);
        const objects = buildTrackingObjects({
            site,
            schedulableHosts,
            namespace: args.namespace,
            image: registryImage ?? localImageRef(args.archive!.manifestDigest),
            imagePullPolicy: registryImage ? "IfNotPresent" : "Never",
            replicas: trackingReplicas,
            httpPort: config.tracking.httpPort,
            resources: componentBudget(config, "tracking"),
            mqttCredentialsSecret: args.mqttCredentialsSecret,
        });
        this.objects = [...this.applyObjects(args, objects, [...args.foundation, ...args.dependsOn, ...args.imports]).values()];
        this.registerOutputs({});
    }
}
