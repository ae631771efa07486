/**
 * Runs the whole program under Pulumi mocks (the synth runner, scripts/synth/run.ts) and returns, per registered
 * resource, what the engine would get: type, name, parent, provider, inputs (secrets in their wire envelope) and
 * the URNs it depends on, which the add-on ordering tests need. Every RandomPassword gets a fixed secret value.
 */
import { loadStackFile } from "../../../components/config/load";
import type { EstateConfig } from "../../../components/config/types";
import { type RecordedResource, runProgramUnderMocks } from "../../../scripts/synth/run";
import { secretEnvelope } from "../../../scripts/synth/secrets";

export type Registered = RecordedResource;

export const MOCK_PASSWORD = "mock-password-0123456789abcdef";

export function registerProgram(config: EstateConfig): Promise<Registered[]> {
    return runProgramUnderMocks(config, "prod", "-----BEGIN OPENSSH PRIVATE KEY-----\nKEY\n-----END OPENSSH PRIVATE KEY-----\n", {
        state: (args) =>
            args.type === "random:index/randomPassword:RandomPassword" ? { result: secretEnvelope(`${MOCK_PASSWORD}-${args.name}`) } : undefined,
    });
}

export interface RegisteredStack {
    rs: Registered[];
    byUrn: Map<string, Registered>;
    /** The resource of this type and name (throws when there is none). */
    find: (type: string, name: string) => Registered;
    childrenOf: (parent: Registered) => Registered[];
}

/** The program of a stack file (e.g. Pulumi.prod.yaml) under the mocks, with the lookups the component tests use. */
export async function registerStackFile(file: string): Promise<RegisteredStack> {
    const rs = await registerProgram(loadStackFile(file).config);
    const byUrn = new Map(rs.map((r) => [r.urn, r]));
    const find = (type: string, name: string) => {
        const r = rs.find((x) => x.type === type && x.name === name);
        if (!r) throw new Error(`no ${type} named ${name} was registered`);
        return r;
    };
    return { rs, byUrn, find, childrenOf: (parent) => rs.filter((r) => r.parent === parent.urn) };
}
