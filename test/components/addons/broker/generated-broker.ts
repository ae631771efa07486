/**
 * Test plumbing: the real Debian mosquitto started with exactly the files components/addons/broker/config.ts
 * generates for a site (only the paths, bind address and port differ from the cluster).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { buildAclFile, buildDeviceAclFile, buildMosquittoConf, buildPasswordFile, TLS_FILES } from "../../../../components/addons/broker/config";
import { freePort } from "../../../support/net";
export { freePort };


/** Writes conf, ACL and password file under `root`; returns the conf path. */
/** TLS material of the device listener: file name under tlsDir (TLS_FILES) -> content. */
export interface DeviceTls {
    port: number;
    files: Record<string, string>;
}

export function writeBrokerFiles(root: string, siteId: string, port: number, passwords: Record<string, string>, tls?: DeviceTls): string {
    const paths = { configDir: path.join(root, "config"), secretDir: path.join(root, "secret"), dataDir: path.join(root, "data"), tlsDir: path.join(root, "tls") };
    for (const d of Object.values(paths)) fs.mkdirSync(d, { recursive: true });
    const conf = path.join(paths.configDir, "mosquitto.conf");
    fs.writeFileSync(conf, buildMosquittoConf({ siteId, paths, port, bindAddress: "127.0.0.1", ...(tls ? { devicePort: tls.port, crl: TLS_FILES.crl in tls.files } : {}) }));
    fs.writeFileSync(path.join(paths.configDir, "acl"), buildAclFile(siteId), { mode: 0o640 });
    fs.writeFileSync(path.join(paths.configDir, "acl-devices"), buildDeviceAclFile(siteId), { mode: 0o640 });
    for (const [name, content] of Object.entries(tls?.files ?? {})) fs.writeFileSync(path.join(paths.tlsDir, name), content, { mode: 0o640 });
    fs.writeFileSync(path.join(paths.secretDir, "passwd"), buildPasswordFile(passwords), { mode: 0o640 });
    // Run as root, mosquitto drops to the `mosquitto` user: that user must read the files and write the data dir.
    if (process.getuid?.() === 0) spawnSync("chown", ["-R", "mosquitto:mosquitto", root]);
    return conf;
}

export interface GeneratedBroker {
    port: number;
    dir: string;
    log: () => string;
    stop: () => void;
}

export async function startGeneratedBroker(siteId: string, passwords: Record<string, string>, tls?: Omit<DeviceTls, "port">): Promise<GeneratedBroker & { tlsPort?: number }> {
    if (spawnSync("mosquitto", ["-h"]).error) throw new Error("Debian package mosquitto must be installed");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-mqtt-"));
    const port = await freePort();
    const tlsPort = tls ? await freePort() : undefined;
    const conf = writeBrokerFiles(dir, siteId, port, passwords, tls && tlsPort ? { ...tls, port: tlsPort } : undefined);
    let log = "";
    const proc: ChildProcess = spawn("mosquitto", ["-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout!.on("data", (d) => (log += d));
    proc.stderr!.on("data", (d) => (log += d));
    const deadline = Date.now() + 5000;
    for (;;) {
        const open = await new Promise<boolean>((resolve) => {
            const c = net.connect(port, "127.0.0.1", () => {
                c.destroy();
                resolve(true);
            });
            c.on("error", () => resolve(false));
        });
        if (open) break;
        if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`mosquitto did not open port ${port}: ${log}`);
        await new Promise((r) => setTimeout(r, 20));
    }
    return {
        port,
        ...(tlsPort ? { tlsPort } : {}),
        dir,
        log: () => log,
        stop: () => {
            proc.kill("SIGTERM");
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
