/**
 * Starts netns-lab.sh (real sshd hosts in network namespaces) and hands the test what it needs to reach them.
 * The lab lives as long as its stdin is open: `stop()` closes it, and if the test process dies the pipe closes
 * too, so the script's EXIT trap removes the namespaces and bridge either way.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface LabHost {
    name: string;
    address: string;
    namespace: string;
    dir: string;
    /** "ssh-ed25519 AAAA..." as sshd presents it. */
    hostKey: string;
    /** What `ssh-keygen -l` prints for that key ("SHA256:..."). */
    hostKeyFingerprint: string;
    machineIdFile: string;
    /** Bind-mounted over /usr/local/bin inside the host. */
    localBin: string;
    /** Bind-mounted over /var/lib/rancher and /var/lib/edge-estate inside the host (empty at start). */
    rancherDir: string;
    edgeStateDir: string;
}

export interface Lab {
    dir: string;
    clientKey: string;
    hosts: Record<string, LabHost>;
    stop(): Promise<void>;
}

export const LAB_SCRIPT = path.join(__dirname, "netns-lab.sh");

export async function startLab(names: string[]): Promise<Lab> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-probe-lab-"));
    const child: ChildProcess = spawn("bash", [LAB_SCRIPT, dir, ...names], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d.toString()));
    const lines: string[] = await new Promise((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error(`lab did not become ready in 30s:\n${stderr}`)), 30_000);
        child.stdout!.on("data", (d) => {
            out += d.toString();
            if (/^ready$/m.test(out)) {
                clearTimeout(timer);
                resolve(out.trim().split("\n"));
            }
        });
        child.on("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`netns-lab.sh exited ${code} before ready:\n${stderr}`));
        });
    });
    const hosts: Record<string, LabHost> = {};
    for (const line of lines) {
        const m = /^host (\S+) (\S+) (\S+)$/.exec(line);
        if (!m) continue;
        const [, name, address, namespace] = m;
        const hdir = path.join(dir, name);
        const pub = fs.readFileSync(path.join(hdir, "ssh_host_ed25519_key.pub"), "utf8").trim().split(/\s+/);
        const fp = execFileSync("ssh-keygen", ["-l", "-f", path.join(hdir, "ssh_host_ed25519_key.pub")], { encoding: "utf8" }).split(/\s+/)[1];
        hosts[name] = {
            name,
            address,
            namespace,
            dir: hdir,
            hostKey: `${pub[0]} ${pub[1]}`,
            hostKeyFingerprint: fp,
            machineIdFile: path.join(hdir, "machine-id"),
            localBin: path.join(hdir, "local-bin"),
            rancherDir: path.join(hdir, "rancher"),
            edgeStateDir: path.join(hdir, "edge-state"),
        };
    }
    return {
        dir,
        clientKey: fs.readFileSync(path.join(dir, "client_key"), "utf8"),
        hosts,
        stop: () =>
            new Promise<void>((resolve) => {
                if (child.exitCode !== null) return resolve();
                child.on("exit", () => {
                    fs.rmSync(dir, { recursive: true, force: true });
                    resolve();
                });
                child.stdin!.end();
            }),
    };
}

/** Rewrites a file in place (same inode), so a bind mount of it inside the host sees the new content. */
export function rewriteInPlace(file: string, content: string): void {
    const fd = fs.openSync(file, "r+");
    try {
        fs.ftruncateSync(fd, 0);
        fs.writeSync(fd, content, 0);
    } finally {
        fs.closeSync(fd);
    }
}

export function killSshd(host: LabHost): void {
    const pid = Number(fs.readFileSync(path.join(host.dir, "sshd.pid"), "utf8").trim());
    process.kill(pid, "SIGTERM");
}
