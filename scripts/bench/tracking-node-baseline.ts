// The benchmark's baseline (not product code): the tracking service's query API written the plain way in
// Node (node:http, a Map of shipments, bodies rendered with JSON.stringify and cached until the shipment
// changes, as the module caches them). It serves the same routes and the same JSON shape for the same
// events, so `npm run bench:tracking` can put the module's figures beside an ordinary implementation's.
//
//   tsx scripts/bench/tracking-node-baseline.ts PORT EVENTS_FILE     (EVENTS_FILE: one event JSON per line)
import * as http from "node:http";
import { readFileSync } from "node:fs";

interface Event { shipmentId: string; status: string; ts: number; deviceId: string; seq: number; lat?: number; lon?: number; note?: string }
interface Shipment { id: string; events: Event[]; body: Buffer | null }

const HISTORY = 50;
const shipments = new Map<string, Shipment>();

function apply(e: Event): void {
    let s = shipments.get(e.shipmentId);
    if (!s) shipments.set(e.shipmentId, (s = { id: e.shipmentId, events: [], body: null }));
    let i = s.events.length;
    while (i > 0 && (s.events[i - 1].ts > e.ts || (s.events[i - 1].ts === e.ts && s.events[i - 1].seq > e.seq))) i--;
    s.events.splice(i, 0, e);
    if (s.events.length > HISTORY) s.events.shift();
    s.body = null;
}

function render(s: Shipment): Buffer {
    if (s.body) return s.body;
    const last = s.events[s.events.length - 1];
    const loc = [...s.events].reverse().find((e) => e.lat !== undefined);
    s.body = Buffer.from(JSON.stringify({
        shipmentId: s.id, status: last.status, updatedAt: last.ts,
        location: loc ? { lat: loc.lat, lon: loc.lon } : null,
        events: s.events.map((e) => ({ ts: e.ts, status: e.status, deviceId: e.deviceId, seq: e.seq, lat: e.lat, lon: e.lon, note: e.note })),
    }));
    return s.body;
}

function send(res: http.ServerResponse, code: number, body: Buffer | string): void {
    res.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
    res.end(body);
}

const [portArg, eventsFile] = process.argv.slice(2);
if (!portArg || !eventsFile) {
    console.error("usage: tracking-node-baseline.ts PORT EVENTS_FILE");
    process.exit(2);
}
for (const line of readFileSync(eventsFile, "utf8").split("\n")) if (line) apply(JSON.parse(line) as Event);

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const url = req.url ?? "";
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, '{"error":"method not allowed"}');
    if (url === "/healthz" || url === "/readyz") return send(res, 200, '{"status":"ok"}');
    if (url.startsWith("/v1/shipments/")) {
        const s = shipments.get(decodeURIComponent(url.slice("/v1/shipments/".length)));
        return s ? send(res, 200, render(s)) : send(res, 404, '{"error":"unknown shipment"}');
    }
    send(res, 404, '{"error":"not found"}');
});
server.maxConnections = 8192;
server.listen(Number(portArg), "127.0.0.1");
