/**
 * Runs the real program under Pulumi mocks and records what each resource is registered with (inputs as the
 * engine receives them, parent, provider reference). Unlike scripts/synth, the host probes can be given the
 * facts a real probe returned, so two runs show what a refresh that recorded new facts does to the next `up`.
 * Several runs per test file are fine: each call installs fresh mocks.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { EstateConfig } from "../../../components/config/types";
import { HOST_PROBE_TYPE } from "../../../components/host/probe";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { deserializeProperties } = require("@pulumi/pulumi/runtime/rpc");

export interface Registered {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    /** Provider reference without the id part ("urn:...::site-k8s"). */
    provider?: string;
    inputs: Record<string, unknown>;
}

export const TEST_PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nMOCKKEY\n-----END OPENSSH PRIVATE KEY-----\n";

/** machineIds: "<site>/<host>" -> the machine-id the probe reports (what the state holds after create/refresh). */
export async function registerUnderMocks(config: EstateConfig, machineIds: Record<string, string> = {}, stack = "test"): Promise<Registered[]> {
    const order: string[] = [];
    const byUrn = new Map<string, Registered>();
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                const state: Record<string, unknown> = { ...args.inputs };
                if (args.type === HOST_PROBE_TYPE) {
                    const key = `${args.inputs.siteId}/${args.inputs.hostId}`;
                    state.machineId = machineIds[key] ?? `unprobed-${key}`;
                }
                if (args.type === "command:remote:Command") state.stdout = "";
                if (args.type === "random:index/randomPassword:RandomPassword") state.result = `mock-${args.name}`;
                // A replaced command gets a new id from the real engine; resources keyed on that id (e.g. an add-on
                // step that follows its host's last provisioning step) must see the change here too.
                const replacedBy = args.inputs.triggers === undefined ? "" : `-${createHash("sha256").update(JSON.stringify(args.inputs.triggers)).digest("hex").slice(0, 12)}`;
                return { id: `${args.name}-id${replacedBy}`, state };
            },
            call(args) {
                return args.inputs;
            },
        },
        "edge-estate",
        stack,
        false,
    );
    const { defineEstate } = await import("../../../components/program");
    const monitor = (pulumi.runtime as any).getMonitor();
    const originalRegister = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
        originalRegister(req, (err: any, resp: any) => {
            if (!err && resp) {
                const urn: string = resp.getUrn();
                if (byUrn.has(urn)) throw new Error(`duplicate URN ${urn}`);
                order.push(urn);
                byUrn.set(urn, {
                    urn,
                    type: req.getType(),
                    name: req.getName(),
                    ...(req.getParent() ? { parent: req.getParent() } : {}),
                    ...(req.getProvider() ? { provider: req.getProvider().split("::").slice(0, -1).join("::") } : {}),
                    inputs: deserializeProperties(req.getObject()),
                });
            }
            cb(err, resp);
        });
    };
    await pulumi.runtime.runInPulumiStack(async () => defineEstate(config, pulumi.secret(TEST_PRIVATE_KEY)));
    await (pulumi.runtime as any).disconnect();
    return order.map((u) => byUrn.get(u)!);
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
