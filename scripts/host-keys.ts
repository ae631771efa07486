/**
 * npm run host-keys -- (--stack NAME | --config-file PATH) [--timeout SECONDS]
 *
 * Collects the SSH host key of every host of a stack with ssh-keyscan (ed25519 preferred, then ecdsa, then rsa)
 * and prints, per host, its fingerprint and the `hostKey:` entry to paste into the stack file. Compare the
 * fingerprints with the hosts' consoles (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`) before committing:
 * a scan only tells you what answered on the network, which is exactly what pinning is meant to stop trusting.
 * Hosts that already pin a key are checked against it. Exit codes: 0 all collected and matching, 1 a host did
 * not answer or presented a key other than the pinned one, 2 usage.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { HOST_KEY_TYPES, parseHostKey } from "../components/config/grammar";
import { parseStackFile } from "../components/config/load";
import { validateEstateConfig } from "../components/config/validate";
import { parseArgs, runTool, stackSource, UsageError } from "./lib/cli";

/** Preference: the order of the key types the config accepts (ed25519, then ecdsa, then rsa). */
const PREFERENCE: readonly string[] = HOST_KEY_TYPES;

export interface ScannedKey {
    type: string;
    key: string;
    fingerprint: string;
}

/** ssh-keyscan one host; returns the preferred key or undefined when the host did not answer. */
export function scanHostKey(address: string, port: number, timeoutSeconds: number): ScannedKey | undefined {
    const r = spawnSync("ssh-keyscan", ["-T", String(timeoutSeconds), "-p", String(port), "-t", "ed25519,ecdsa,rsa", address], { encoding: "utf8" });
    // "<host> <type> <base64>" lines; each key goes through the config's own host-key grammar.
    const keys = (r.stdout ?? "")
        .split("\n")
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => parseHostKey(l.trim().split(/\s+/).slice(1).join(" ")))
        .flatMap((p) => (p.ok ? [{ type: p.value.split(" ")[0], key: p.value }] : []));
    keys.sort((a, b) => PREFERENCE.indexOf(a.type) - PREFERENCE.indexOf(b.type));
    const best = keys[0];
    if (!best) return undefined;
    const fingerprint = execFileSync("ssh-keygen", ["-l", "-f", "-"], { input: `${best.key}\n`, encoding: "utf8" }).split(/\s+/)[1];
    return { type: best.type, key: best.key, fingerprint };
}

function main(argv: string[]): number {
    const args = parseArgs(argv, { values: ["--stack", "--config-file", "--timeout"] });
    const { file } = stackSource(args);
    const t = args.values.get("--timeout") ?? "5";
    if (!/^\d+$/.test(t)) throw new UsageError(`--timeout takes whole seconds, got ${JSON.stringify(t)}`);
    const timeout = Number(t);
    const fs = require("node:fs") as typeof import("node:fs");
    const stack = parseStackFile(fs.readFileSync(file, "utf8"), file);
    // Collecting keys is what a stack without them needs: validate with the opt-out, everything else as usual.
    const raw = { ...stack.raw, ssh: { ...((stack.raw.ssh as object) ?? {}), acceptUnknownHostKeys: true } };
    const config = validateEstateConfig(raw, { sshPrivateKeyPresent: true, requirePins: false });
    let status = 0;
    console.log(`# Host keys of ${file}, collected with ssh-keyscan. Check each fingerprint on the host's console before committing.`);
    for (const site of config.sites) {
        console.log(`# site ${site.id}`);
        for (const host of site.hosts) {
            const scanned = scanHostKey(host.address, host.port, timeout);
            if (!scanned) {
                console.error(`host-keys: ${site.id}/${host.id} (${host.address}:${host.port}) did not answer`);
                console.log(`#   ${host.id}: NO ANSWER from ${host.address}:${host.port}`);
                status = 1;
                continue;
            }
            if (host.hostKey && host.hostKey !== scanned.key) {
                console.error(`host-keys: ${site.id}/${host.id} (${host.address}:${host.port}) presents ${scanned.fingerprint}, which is NOT the pinned hostKey: investigate before changing anything`);
                status = 1;
            }
            const note = host.hostKey ? (host.hostKey === scanned.key ? " (matches the pinned key)" : " (DIFFERS from the pinned key)") : "";
            console.log(`#   ${host.id} ${host.address}:${host.port} ${scanned.fingerprint}${note}`);
            console.log(`    - { id: ${host.id}, hostKey: "${scanned.key}" }`);
        }
    }
    return status;
}

if (require.main === module) runTool("host-keys", "usage: npm run host-keys -- (--stack NAME | --config-file PATH) [--timeout SECONDS]", () => main(process.argv.slice(2)));
