/**
 * Runs the real program in-process under Pulumi's mocks and records every registered resource with its inputs,
 * parent and provider. No CLI, no hosts, no clusters: this is what `pulumi up` would ask the engine to create.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { EstateConfig } from "../../components/config/types";
import { parseStepName } from "../../components/naming";
import { secretEnvelope } from "./secrets";
const { deserializeProperties } = require("@pulumi/pulumi/runtime/rpc");

export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    parent?: string;
    provider?: string;
    /** URNs this resource depends on (dependsOn and input dependencies). */
    dependencies: string[];
    /** Inputs as the engine receives them; secrets still in their wire envelope. */
    inputs: Record<string, any>;
    /** Earlier identities the resource asks the engine to accept (alias URNs or alias specs). */
    aliases: RecordedAlias[];
    /** What a component registered with registerOutputs (components only). */
    outputs?: Record<string, any>;
}

/** An alias as the engine receives it: a whole URN, or the parts to build the old URN from. */
export type RecordedAlias = { urn: string } | { name: string; type: string; stack: string; project: string; parentUrn: string; noParent: boolean };

export interface MockOptions {
    /** Overrides part of the state a mock resource returns (tests use it to play the engine's answers). */
    state?: (args: { type: string; name: string; inputs: Record<string, any> }) => Record<string, unknown> | undefined;
    /** Overrides the id a mock resource gets (tests use it to play a replacement's new id). */
    id?: (args: { type: string; name: string; inputs: Record<string, any> }) => string;
}

/** Marker values the mocks hand out for generated secrets; synth fails if one ever shows up unredacted. */
export const SYNTH_SECRET_MARKER = "SYNTH-SECRET-VALUE";

export async function runProgramUnderMocks(config: EstateConfig, stack: string, sshPrivateKey: string, options: MockOptions = {}): Promise<RecordedResource[]> {
    const byUrn = new Map<string, RecordedResource>();
    const order: string[] = [];
    const seen = new Set<string>();

    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                const key = `${args.type}::${args.name}`;
                // The real engine rejects duplicate URNs; the mock monitor would accept them silently.
                if (seen.has(key)) throw new Error(`duplicate resource ${args.type} named ${args.name}`);
                seen.add(key);
                const state: Record<string, unknown> = { ...args.inputs };
                // Emulate engine-side secrecy the mocks skip (additionalSecretOutputs).
                if (args.type === "random:index/randomPassword:RandomPassword") {
                    state.result = secretEnvelope(`${SYNTH_SECRET_MARKER}-${args.name}`);
                    // Well-formed but meaningless bcrypt (the real one comes from the provider at up).
                    const digest = createHash("sha512").update(args.name).digest("base64").replace(/[^A-Za-z0-9]/g, ".");
                    state.bcryptHash = secretEnvelope(`$2a$10$${digest.slice(0, 53)}`);
                }
                // @pulumi/tls under mocks: a well-formed stand-in PEM per resource (the real one comes from the provider at up).
                if (args.type === "tls:index/privateKey:PrivateKey") state.privateKeyPem = secretEnvelope(`-----BEGIN PRIVATE KEY-----\n${SYNTH_SECRET_MARKER}-${args.name}\n-----END PRIVATE KEY-----\n`);
                if (args.type === "tls:index/selfSignedCert:SelfSignedCert" || args.type === "tls:index/locallySignedCert:LocallySignedCert")
                    state.certPem = `-----BEGIN CERTIFICATE-----\nsynth-stand-in-${Buffer.from(args.name).toString("base64")}\n-----END CERTIFICATE-----\n`;
                if (args.type === "command:remote:Command") state.stdout = parseStepName(args.name)?.step === "kubeconfig" ? secretEnvelope(`${SYNTH_SECRET_MARKER}-kubeconfig`) : "";
                Object.assign(state, options.state?.(args));
                return { id: options.id?.(args) ?? `${args.name}-id`, state };
            },
            call(args) {
                return args.inputs;
            },
        },
        "edge-estate",
        stack,
        false,
    );
    // newResource does not get the parent; the register request does, so record at the monitor.
    const { defineEstate } = await import("../../components/program");
    const monitor = (pulumi.runtime as any).getMonitor();
    const originalRegister = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
        originalRegister(req, (err: any, resp: any) => {
            if (!err && resp) {
                const urn: string = resp.getUrn();
                const r: RecordedResource = {
                    urn,
                    type: req.getType(),
                    name: req.getName(),
                    custom: req.getCustom(),
                    ...(req.getParent() ? { parent: req.getParent() } : {}),
                    ...(req.getProvider() ? { provider: req.getProvider().split("::").slice(0, -1).join("::") } : {}),
                    dependencies: req.getDependenciesList(),
                    inputs: deserializeProperties(req.getObject()),
                    aliases: (req.getAliasesList() as any[]).map((a): RecordedAlias => {
                        if (a.hasUrn()) return { urn: a.getUrn() };
                        const spec = a.getSpec();
                        return { name: spec.getName(), type: spec.getType(), stack: spec.getStack(), project: spec.getProject(), parentUrn: spec.getParenturn(), noParent: spec.getNoparent() };
                    }),
                };
                if (!byUrn.has(urn)) order.push(urn);
                byUrn.set(urn, r);
            }
            cb(err, resp);
        });
    };
    // Output in the order the program constructs resources (a transformation runs synchronously in each
    // constructor), not in the order registrations complete, which depends on how deep a resource is nested.
    const constructed = new Map<string, number>();
    const originalOutputs = monitor.registerResourceOutputs.bind(monitor);
    const outputs = new Map<string, Record<string, any>>();
    monitor.registerResourceOutputs = (req: any, cb: any) => {
        outputs.set(req.getUrn(), deserializeProperties(req.getOutputs()));
        originalOutputs(req, cb);
    };
    await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((t) => {
            constructed.set(`${t.type}::${t.name}`, constructed.size);
            return undefined;
        });
        return defineEstate(config, pulumi.secret(sshPrivateKey));
    });
    await (pulumi.runtime as any).disconnect();
    const rank = (r: RecordedResource) => constructed.get(`${r.type}::${r.name}`) ?? -1;
    return order
        .map((u) => byUrn.get(u)!)
        .map((r) => (outputs.has(r.urn) ? { ...r, outputs: outputs.get(r.urn) } : r))
        .sort((a, b) => rank(a) - rank(b));
}
