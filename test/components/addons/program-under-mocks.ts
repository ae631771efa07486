/**
 * Runs the whole program under Pulumi mocks and records, per registered resource, what the engine would get:
 * type, name, parent, provider, inputs (secrets in their wire envelope) and the URNs it depends on (dependsOn),
 * which the add-on ordering tests need. The mocks hand every RandomPassword a fixed secret value.
 */
import * as pulumi from "@pulumi/pulumi";
import type { EstateConfig } from "../../../components/config/types";
import { secretEnvelope } from "../../../scripts/synth/secrets";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { deserializeProperties } = require("@pulumi/pulumi/runtime/rpc");

export interface Registered {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    parent?: string;
    provider?: string;
    dependencies: string[];
    inputs: Record<string, any>;
}

export const MOCK_PASSWORD = "mock-password-0123456789abcdef";

export async function registerProgram(config: EstateConfig): Promise<Registered[]> {
    const out = new Map<string, Registered>();
    const seen = new Set<string>();
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                const key = `${args.type}::${args.name}`;
                if (seen.has(key)) throw new Error(`duplicate resource ${key}`);
                seen.add(key);
                const state: Record<string, unknown> = { ...args.inputs };
                if (args.type === "random:index/randomPassword:RandomPassword") state.result = secretEnvelope(`${MOCK_PASSWORD}-${args.name}`);
                if (args.type === "command:remote:Command") state.stdout = "";
                return { id: `${args.name}-id`, state };
            },
            call: (args) => args.inputs,
        },
        "edge-estate",
        "prod",
        false,
    );
    const { defineEstate } = await import("../../../components/program");
    const monitor = (pulumi.runtime as any).getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) =>
        register(req, (err: any, resp: any) => {
            if (!err && resp) {
                const urn: string = resp.getUrn();
                out.set(urn, {
                    urn,
                    type: req.getType(),
                    name: req.getName(),
                    custom: req.getCustom(),
                    ...(req.getParent() ? { parent: req.getParent() } : {}),
                    ...(req.getProvider() ? { provider: req.getProvider().split("::").slice(0, -1).join("::") } : {}),
                    dependencies: req.getDependenciesList(),
                    inputs: deserializeProperties(req.getObject()),
                });
            }
            cb(err, resp);
        });
    await pulumi.runtime.runInPulumiStack(async () => defineEstate(config, pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----\nKEY\n-----END OPENSSH PRIVATE KEY-----\n")));
    await (pulumi.runtime as any).disconnect();
    return [...out.values()];
}
