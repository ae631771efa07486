/**
 * Runs the whole program under Pulumi mocks (the synth runner, scripts/synth/run.ts) and returns, per registered
 * resource, what the engine would get: type, name, parent, provider, inputs (secrets in their wire envelope) and
 * the URNs it depends on, which the add-on ordering tests need. Every RandomPassword gets a fixed secret value.
 */
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
