/**
 * Runs the real program under Pulumi mocks (the synth runner) and records what each resource is registered with (inputs as the
 * engine receives them, parent, provider reference). Unlike scripts/synth, the host probes can be given the
 * facts a real probe returned, so two runs show what a refresh that recorded new facts does to the next `up`.
 * Several runs per test file are fine: each call installs fresh mocks.
 */
import { createHash } from "node:crypto";
import type { EstateConfig } from "../../../components/config/types";
import { HOST_PROBE_TYPE } from "../../../components/host/probe";
import { type RecordedResource, runProgramUnderMocks } from "../../../scripts/synth/run";

export type Registered = RecordedResource;

export const TEST_PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nMOCKKEY\n-----END OPENSSH PRIVATE KEY-----\n";

/** machineIds: "<site>/<host>" -> the machine-id the probe reports (what the state holds after create/refresh). */
export function registerUnderMocks(config: EstateConfig, machineIds: Record<string, string> = {}, stack = "test"): Promise<Registered[]> {
    return runProgramUnderMocks(config, stack, TEST_PRIVATE_KEY, {
        state: (args) => {
            if (args.type === HOST_PROBE_TYPE) {
                const key = `${args.inputs.siteId}/${args.inputs.hostId}`;
                return { machineId: machineIds[key] ?? `unprobed-${key}` };
            }
            if (args.type === "random:index/randomPassword:RandomPassword") return { result: `mock-${args.name}` };
            return undefined;
        },
        // A replaced command gets a new id from the real engine; resources keyed on that id (e.g. an add-on
        // step that follows its host's last provisioning step) must see the change here too.
        id: (args) =>
            `${args.name}-id${args.inputs.triggers === undefined ? "" : `-${createHash("sha256").update(JSON.stringify(args.inputs.triggers)).digest("hex").slice(0, 12)}`}`,
    });
}

/** The site a resource belongs to, from its URN name ("<site>.<host>...", "<site>-k8s", "<site>-configmap-...") and parent chain. */
export function siteOfResource(r: Registered, siteIds: string[], byUrn: Map<string, Registered>): string | undefined {
    for (let cur: Registered | undefined = r; cur; cur = cur.parent ? byUrn.get(cur.parent) : undefined) {
        if (cur.type === "edge-estate:index:Site") return cur.name;
    }
    return siteIds.find((s) => r.name === s || r.name.startsWith(`${s}.`) || r.name.startsWith(`${s}-`));
}

/** Stable JSON of what the engine would diff: inputs and provider reference. */
export function registrationFingerprint(r: Registered): string {
    return JSON.stringify({ inputs: r.inputs, provider: r.provider ?? null, parent: r.parent ?? null });
}
