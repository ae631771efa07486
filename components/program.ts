/** The whole program given a validated config: shared by index.ts (pulumi up) and scripts/synth.ts (mocks). */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { EstateConfig } from "./config/types";
import { unpinnedHostKeyWarnings } from "./config/validate";
import { EdgeEstate, estateOutputs } from "./estate";
import { hostArtifacts } from "./host/steps";
import { planEstate } from "./plan";

/** Air-gapped regions push artifacts from the local cache; say what is missing before anything is registered. */
export function missingAirgapArtifacts(config: EstateConfig): string[] {
    if (config.artifacts.mode !== "airgap") return [];
    const names = new Set(planEstate(config).sites.flatMap((p) => hostArtifacts(config, p.versions).map((a) => a.name)));
    return [...names].filter((n) => !fs.existsSync(path.resolve(config.artifacts.cacheDir, n)));
}

export function defineEstate(config: EstateConfig, sshPrivateKey: pulumi.Output<string>) {
    // ssh.acceptUnknownHostKeys: said on every preview and up, once per host that would accept any key.
    for (const w of unpinnedHostKeyWarnings(config)) pulumi.log.warn(w);
    if (!config.devices) pulumi.log.warn("no device CA (edge-estate:devices): the brokers have no device listener and devices cannot connect; create one with npm run devices -- init");
    // Air gap: preview and synth say what `up` will refuse (index.ts stops `up` before this point).
    const missingArtifacts = missingAirgapArtifacts(config);
    if (missingArtifacts.length > 0) {
        const dir = config.artifacts.cacheDir;
        pulumi.log.warn(
            `airgap mode: ${missingArtifacts.length} artifact(s) missing from ${dir}${fs.existsSync(path.resolve(dir)) ? "" : " (the folder does not exist)"}: ${missingArtifacts.join(", ")}; ` +
                "`pulumi up` will refuse; run scripts/fetch-artifacts.sh on a connected machine first",
        );
    }
    for (const missing of config.artifacts.unpinned) {
        pulumi.log.warn(`unpinned artifact: ${missing}`);
    }
    const plan = planEstate(config);
    const estate = new EdgeEstate(config.region, { plan, sshPrivateKey });
    return estateOutputs(plan, estate);
}
