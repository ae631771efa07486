// The tracking-data-dir host step run for real, as the exact text a host gets (rendered through the components),
// in a private mount namespace whose /var/lib/edge-estate is an empty tmpfs. Then the real tracking module
// (the image's /app.wasm on the real WasmEdge 0.14.1) runs as the pod's non-root uid with that directory
// preopened as /data, the way the Deployment mounts it: it starts and writes its event log there. The control
// case is the directory as the kubelet's DirectoryOrCreate would have made it (root-owned 0755): the same
// non-root module cannot open its log, which is why the step exists.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { trackingDataDirStep } from "../../../components/addons/tracking";
import { TRACKING_HOST_DATA_DIR, TRACKING_UID } from "../../../components/addons/tracking/objects";
import type { EstateConfig } from "../../../components/config/types";
import { validateEstateConfig } from "../../../components/config/validate";
import { planHostSteps, renderExtraStep } from "../../../components/host/steps";
import { planSite } from "../../../components/plan";
import { generatedHostKey } from "../../../scripts/generate-stack";
import { requireRootOrSkip } from "../../support/root";
import { WASMEDGE_BIN } from "../../support/wasmedge";
import { freePort, moduleForAnyUser } from "../../wasm-app/harness";

const runAsRoot = requireRootOrSkip("the tracking data directory step in a mount namespace");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "edge-tracking-dir-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const STATE = "/var/lib/edge-estate";

function config(): EstateConfig {
    const h = (site: string, hostId: string, n: number) => ({ id: hostId, address: `192.0.2.${n}`, role: "server", hostKey: generatedHostKey(1, site, hostId) });
    return validateEstateConfig(
        {
            region: "test",
            monitoring: { hubSite: "hub" },
            sites: [
                { id: "one", city: "One", wave: 0, hosts: [h("one", "srv-a", 10)] },
                { id: "hub", city: "Hub", wave: 0, hosts: [h("hub", "srv-a", 20), h("hub", "srv-b", 21), h("hub", "srv-c", 22)] },
            ],
        },
        { sshPrivateKeyPresent: true, requirePins: false },
    );
}

/** The step's script as the host gets it. */
function stepScript(): string {
    const cfg = config();
    const plan = planSite(cfg, cfg.sites[0]);
    const host = cfg.sites[0].hosts[0];
    const file = path.join(work, "step.sh");
    fs.writeFileSync(file, renderExtraStep(plan, host, planHostSteps(plan, host).length, 2, trackingDataDirStep()).script);
    return file;
}

/** Runs `body` (bash) in a private mount namespace with a fresh tmpfs on /var/lib/edge-estate. */
function inNamespace(body: string, timeout = 60_000): { rc: number; out: string } {
    fs.mkdirSync(STATE, { recursive: true });
    const r = spawnSync("unshare", ["--mount", "--propagation", "private", "bash", "-c", `mount -t tmpfs tmpfs ${STATE} || exit 99\nset -u\n${body}`], { encoding: "utf8", timeout });
    return { rc: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const D = TRACKING_HOST_DATA_DIR;
const id = `${TRACKING_UID}:${TRACKING_UID}`;

describe.runIf(runAsRoot)("tracking-data-dir step executed for real", () => {
    it("renders the pod's uid and the hostPath the Deployment mounts", () => {
        const text = fs.readFileSync(stepScript(), "utf8");
        expect(text).toContain(`TRACKING_DATA_DIR='${D}'`);
        expect(text).toContain(`TRACKING_UID='${TRACKING_UID}'`);
        expect(TRACKING_UID).toBeGreaterThan(0);
    });

    it("creates the directory owned by the pod's uid/gid with mode 0700, and a second run changes nothing", () => {
        const s = stepScript();
        const r = inNamespace(`bash ${s} && stat -c 'STAT %u:%g %a' ${D} && bash ${s} && stat -c 'STAT %u:%g %a' ${D}`);
        expect(r.rc, r.out).toBe(0);
        expect(r.out).toContain(`created ${D} (owner ${id}, mode 0700)`);
        expect(r.out.match(/^STAT .*$/gm)).toEqual([`STAT ${id} 700`, `STAT ${id} 700`]);
        expect(r.out).toContain(`${D} unchanged`);
    });

    it("takes over a directory an earlier root pod wrote (log and all) without following a symlink out of it", () => {
        const s = stepScript();
        const r = inNamespace(
            [
                `mkdir -p ${D}/sub && chmod 0755 ${D} && echo old >${D}/events.log && echo x >${D}/sub/f`,
                `echo secret >${STATE}/outside && ln -s ${STATE}/outside ${D}/link`,
                `bash ${s}`,
                `stat -c 'OWN %n %u:%g' ${D} ${D}/events.log ${D}/sub ${D}/sub/f`,
                `stat -c 'MODE %a' ${D}`,
                `stat -c 'OUTSIDE %u:%g' ${STATE}/outside`,
            ].join(" && "),
        );
        expect(r.rc, r.out).toBe(0);
        for (const f of [D, `${D}/events.log`, `${D}/sub`, `${D}/sub/f`]) expect(r.out).toContain(`OWN ${f} ${id}`);
        expect(r.out).toContain("MODE 700");
        expect(r.out).toContain("OUTSIDE 0:0");
        expect(r.out).toContain(`gave everything in ${D} to ${id}`);
    });

    it("refuses a symlink or a file at the path and leaves it as it was", () => {
        const s = stepScript();
        const link = inNamespace(`mkdir ${STATE}/elsewhere && ln -s ${STATE}/elsewhere ${D}; bash ${s}; echo "RC $?"; stat -c 'ELSE %u:%g %a' ${STATE}/elsewhere`);
        expect(link.out).toContain("RC 1");
        expect(link.out).toContain("is a symlink; refusing to follow it");
        expect(link.out).toContain("ELSE 0:0 755");
        const file = inNamespace(`touch ${D}; bash ${s}; echo "RC $?"`);
        expect(file.out).toContain("RC 1");
        expect(file.out).toContain("exists and is not a directory");
    });

    it("refuses a root uid or a relative path from its environment", () => {
        const text = fs.readFileSync(stepScript(), "utf8");
        for (const [from, to, msg] of [
            [`TRACKING_UID='${TRACKING_UID}'`, "TRACKING_UID='0'", "TRACKING_UID must be a non-root numeric uid"],
            [`TRACKING_DATA_DIR='${D}'`, "TRACKING_DATA_DIR='var/x'", "TRACKING_DATA_DIR must be an absolute, normalised path"],
            [`TRACKING_DATA_DIR='${D}'`, `TRACKING_DATA_DIR='${STATE}/../etc'`, "TRACKING_DATA_DIR must be an absolute, normalised path"],
        ] as const) {
            const f = path.join(work, "edited.sh");
            fs.writeFileSync(f, text.replace(from, to));
            const r = inNamespace(`bash ${f}; echo "RC $?"`);
            expect(r.out, to).toContain("RC 1");
            expect(r.out, to).toContain(msg);
        }
    });

    it.runIf(WASMEDGE_BIN !== undefined)("the real tracking module runs as that uid in the prepared directory; in a kubelet-made root directory it cannot", async () => {
        const s = stepScript();
        const port = await freePort();
        // The module as the pod runs it: non-root uid/gid, no extra groups, /data preopened from the hostPath.
        const run = `setpriv --reuid=${TRACKING_UID} --regid=${TRACKING_UID} --clear-groups ${WASMEDGE_BIN} --dir /data:${D} --env SITE_ID=one --env HTTP_BIND=127.0.0.1 --env HTTP_PORT=${port} --env MQTT_PORT=9 --env DATA_DIR=/data ${moduleForAnyUser()}`;
        const prepared = inNamespace(
            [
                `bash ${s} >/dev/null`,
                `${run} 2>${work}/prepared.err & pid=$!`,
                `for _ in $(seq 100); do curl -fsS http://127.0.0.1:${port}/healthz >/dev/null 2>&1 && break; sleep 0.1; done`,
                `curl -sS -o /dev/null -w 'HEALTHZ %{http_code}\\n' http://127.0.0.1:${port}/healthz`,
                `kill -9 "$pid"; wait "$pid" 2>/dev/null`,
                `stat -c 'LOG %u:%g' ${D}/events.log`,
            ].join("\n"),
        );
        expect(prepared.out).toContain("HEALTHZ 200");
        expect(prepared.out).toContain(`LOG ${id}`);
        // What the kubelet's DirectoryOrCreate would leave: root-owned 0755. The same module cannot open its log.
        const kubeletMade = inNamespace([`mkdir -m 0755 ${D}`, `${run}; echo "RC $?"`].join("\n"));
        expect(kubeletMade.out).toContain("RC 1");
        expect(kubeletMade.out).toMatch(/cannot open events\.log \(errno \d+\)/);
    });
});
