/** The whole program given a validated config: shared by index.ts (pulumi up) and scripts/synth.ts (mocks). */
import * as pulumi from "@pulumi/pulumi";
import type { EstateConfig } from "./config/types";
import { EdgeEstate, estateOutputs } from "./estate";

export function defineEstate(config: EstateConfig, sshPrivateKey: pulumi.Output<string>) {
    for (const missing of config.artifacts.unpinned) {
        pulumi.log.warn(`unpinned artifact: ${missing}`);
    }
    const estate = new EdgeEstate(config.region, { config, sshPrivateKey });
    return estateOutputs(config, estate);
}
