// In-memory view of every shipment: its newest HISTORY_LIMIT events ordered by
// (ts, seq), the latest of which is its current state. The JSON body served by the API
// is rendered once per change and cached.
import { ByteBuf } from "../util/bytes";
import { TrackingEvent, STATUSES } from "../events/event";
import { Dedupe } from "./dedupe";

export const HISTORY_LIMIT = 50;

export class Shipment {
  events: TrackingEvent[] = new Array<TrackingEvent>();
  body: ArrayBuffer | null = null;
  constructor(public id: string) {}

  insert(e: TrackingEvent): void {
    const evs = this.events;
    // Binary search for the first event that comes after e; the common case (newest
    // event arrives last) ends at the tail immediately.
    let lo = 0;
    let hi = evs.length;
    if (hi > 0 && e.comesAfter(evs[hi - 1])) {
      lo = hi;
    } else {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (evs[mid].comesAfter(e)) hi = mid; else lo = mid + 1;
      }
    }
    evs.push(e);
    for (let k = evs.length - 1; k > lo; k--) evs[k] = evs[k - 1];
    evs[lo] = e;
    if (evs.length > HISTORY_LIMIT) evs.shift(); // drop the oldest
    this.body = null;
  }

  latest(): TrackingEvent {
    return this.events[this.events.length - 1];
  }

  renderBody(): ArrayBuffer {
    let cached = this.body;
    if (cached) return cached;
    const b = new ByteBuf(256 + this.events.length * 96);
    const last = this.latest();
    b.writeAscii("{\"shipmentId\":");
    b.writeJsonString(this.id);
    b.writeAscii(",\"status\":\"");
    b.writeAscii(STATUSES[last.status]);
    b.writeAscii("\",\"updatedAt\":");
    b.writeDecimal(last.ts);
    // Location: the newest event that carried coordinates (status-only events such as
    // DELIVERED scans often have none).
    let loc: TrackingEvent | null = null;
    for (let i = this.events.length - 1; i >= 0; i--) {
      if (this.events[i].hasLocation) { loc = this.events[i]; break; }
    }
    if (loc) {
      b.writeAscii(",\"location\":{\"lat\":");
      b.writeNumber(loc.lat);
      b.writeAscii(",\"lon\":");
      b.writeNumber(loc.lon);
      b.writeAscii("}");
    } else {
      b.writeAscii(",\"location\":null");
    }
    b.writeAscii(",\"events\":[");
    for (let i = 0; i < this.events.length; i++) {
      if (i > 0) b.writeByte(44);
      b.writeBuffer(this.events[i].renderJson());
    }
    b.writeAscii("]}");
    cached = b.toArrayBuffer();
    this.body = cached;
    return cached;
  }
}

export class ShipmentStore {
  shipments: Map<string, Shipment> = new Map<string, Shipment>();
  dedupe: Dedupe = new Dedupe();

  get count(): i32 { return this.shipments.size; }

  isDuplicate(deviceId: string, seq: i64): bool {
    return this.dedupe.has(deviceId, seq);
  }

  find(id: string): Shipment | null {
    return this.shipments.has(id) ? this.shipments.get(id) : null;
  }

  /** Applies an accepted event (already checked for duplicates and made durable). */
  apply(e: TrackingEvent): void {
    this.dedupe.add(e.deviceId, e.seq);
    let s: Shipment;
    if (this.shipments.has(e.shipmentId)) {
      s = this.shipments.get(e.shipmentId);
    } else {
      s = new Shipment(e.shipmentId);
      this.shipments.set(e.shipmentId, s);
    }
    s.insert(e);
  }
}
