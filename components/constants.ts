/**
 * Constants more than one add-on, Gatekeeper's constraint parameters and the policy pack share: the Wasm runtime
 * class, the Wasm pod marker, the tracking image's repository and how an image reference names its repository,
 * and the labels every object carries. Change them here or nowhere.
 */
import { createHash } from "node:crypto";

/** The RuntimeClass K3s creates itself (manifests/runtimes.yaml) for the WasmEdge shim; never create or own one. */
export const WASM_RUNTIME_CLASS = "wasmedge";

/** Pod (template) label that marks a Wasm workload whatever its image is called (Gatekeeper and the pack). */
export const WASM_POD_LABEL = { key: "edge-estate/runtime", value: "wasm" } as const;

/**
 * Repository of the tracking image when it is shipped as an archive and imported on each host. A name under a
 * domain nobody can register: with imagePullPolicy Never, a missing import fails fast instead of pulling a
 * look-alike from a public registry.
 */
export const LOCAL_IMAGE_REPOSITORY = "edge-estate.local/logistics-system";

/**
 * Repository of an image reference with the registry spelled out the way containerd resolves it (no tag or
 * digest): `eclipse-mosquitto:2` -> `docker.io/library/eclipse-mosquitto`. The same normalisation as
 * edge_repository in components/addons/gatekeeper/rego/lib.rego (a test holds the two together).
 */
export function imageRepository(image: string): string {
    const name = image.split("@")[0];
    const slash = name.lastIndexOf("/");
    const colon = name.lastIndexOf(":");
    const bare = colon > slash ? name.slice(0, colon) : name;
    const segs = bare.split("/");
    if (segs.length === 1) return `docker.io/library/${bare}`;
    const first = segs[0];
    return first.includes(".") || first.includes(":") || first === "localhost" ? bare : `docker.io/${bare}`;
}

/** Repositories whose images are Wasm modules: the imported tracking image, and the registry one if configured. */
export function wasmRepositories(registryImage?: string): string[] {
    return [LOCAL_IMAGE_REPOSITORY, ...(registryImage ? [imageRepository(registryImage)] : [])];
}

/** Pod-template annotation whose value changes with the pod's configuration, so a config change rolls the pods. */
export const CONFIG_CHECKSUM_ANNOTATION = "edge-estate/config-sha256";

/** The value of CONFIG_CHECKSUM_ANNOTATION (and of any other restart-on-change input): sha256, hex. */
export function configChecksum(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

export const LABELS = {
    name: "app.kubernetes.io/name",
    partOf: "app.kubernetes.io/part-of",
    managedBy: "app.kubernetes.io/managed-by",
    site: "edge-estate/site",
} as const;

/** Node labels K3s registers for every host (k3s-config's node-label); host labels from the config come after them. */
export const NODE_LABELS = {
    region: "edge-estate/region",
    site: "edge-estate/site",
    wave: "edge-estate/wave",
    host: "edge-estate/host",
} as const;

/** Labels of an object the estate owns that belongs to no site or component (Gatekeeper's templates). */
export function estateLabels(): Record<string, string> {
    return { [LABELS.partOf]: "edge-estate", [LABELS.managedBy]: "edge-estate" };
}

/** Labels of a site-wide object (namespaces, the site-info ConfigMap, network policies). */
export function siteLabels(siteId: string): Record<string, string> {
    return { [LABELS.managedBy]: "edge-estate", [LABELS.site]: siteId };
}

/** Labels of an add-on object: which component, which part of the estate, who manages it, which site. */
export function componentLabels(siteId: string, component: string, partOf = "edge-estate"): Record<string, string> {
    return { [LABELS.name]: component, [LABELS.partOf]: partOf, [LABELS.managedBy]: "edge-estate", [LABELS.site]: siteId };
}

/** The selector subset of componentLabels (stable across versions: a Deployment selector is immutable). */
export function selectorLabels(component: string, partOf = "edge-estate"): Record<string, string> {
    return { [LABELS.name]: component, [LABELS.partOf]: partOf };
}
