// In-memory view of every shipment: its newest HISTORY_LIMIT events ordered by
// (ts, seq), the latest of which is its current state. The JSON body served by the API
// is rendered once per change and cached.
import { ByteBuf } from "../util/bytes";
import { TrackingEvent, STATUSES } from "../events/event";
import { Dedupe } from "./dedupe";

export const HISTORY_LIMIT = 50;
/** How many rendered response bodies are kept (bounds the cache at about 12 MB). */
const BODY_CACHE_SLOTS = 2048;
const bodyCache = new StaticArray<Shipment | null>(BODY_CACHE_SLOTS);
let bodyCacheNext = 0;
const renderBuf = new ByteBuf(8192);

export class Shipment {
  events: TrackingEvent[] = new Array<TrackingEvent>();
  body: ArrayBuffer | null = null;
  constructor(public id: string) {}

  /** Inserts e; returns how many events the store gained (0 if the oldest was dropped). */
  insert(e: TrackingEvent): i32 {
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
    this.body = null;
    if (evs.length > HISTORY_LIMIT) {
      evs.shift(); // drop the oldest
      return 0;
    }
    return 1;
  }

  latest(): TrackingEvent {
    return this.events[this.events.length - 1];
  }

  renderBody(): ArrayBuffer {
    let cached = this.body;
    if (cached) return cached;
    const b = renderBuf;
    b.clear();
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
      this.events[i].renderJson(b);
    }
    b.writeAscii("]}");
    cached = b.toArrayBuffer();
    // Ring of cached bodies: caching this one uncaches the oldest entry.
    const old = bodyCache[bodyCacheNext];
    if (old !== null && old !== this) old.body = null;
    bodyCache[bodyCacheNext] = this;
    bodyCacheNext = (bodyCacheNext + 1) % BODY_CACHE_SLOTS;
    this.body = cached;
    return cached;
  }
}

/**
 * All shipments. Memory is bounded: when more than maxShipments shipments or maxEvents
 * retained events are held, the least recently updated shipments (by their latest event)
 * are evicted until both are under 90% of their limit. Evicted shipments disappear from
 * the API and, at the next compaction, from the log; their (deviceId, seq) pairs stay in
 * the dedupe windows, so redeliveries are still recognised.
 */
export class ShipmentStore {
  shipments: Map<string, Shipment> = new Map<string, Shipment>();
  dedupe: Dedupe = new Dedupe();
  totalEvents: i64 = 0;
  maxShipments: i32 = 20000;
  maxEvents: i64 = 300000;
  evicted: i64 = 0;

  get count(): i32 { return this.shipments.size; }

  isDuplicate(deviceId: string, seq: i64): bool {
    return this.dedupe.has(deviceId, seq);
  }

  find(id: string): Shipment | null {
    return this.shipments.has(id) ? this.shipments.get(id) : null;
  }

  /** Applies an accepted event (already checked for duplicates and made durable). */
  apply(e: TrackingEvent): void {
    // Share one copy of the device id and shipment id strings among all their events.
    const w = this.dedupe.window(e.deviceId);
    e.deviceId = w.deviceId;
    w.add(e.seq);
    let s: Shipment;
    if (this.shipments.has(e.shipmentId)) {
      s = this.shipments.get(e.shipmentId);
    } else {
      s = new Shipment(e.shipmentId);
      this.shipments.set(e.shipmentId, s);
    }
    e.shipmentId = s.id;
    this.totalEvents += <i64>s.insert(e);
    if (this.shipments.size > this.maxShipments || this.totalEvents > this.maxEvents) this.evict();
  }

  private evict(): void {
    const all = this.shipments.values();
    all.sort((a: Shipment, b: Shipment): i32 => {
      const x = a.latest();
      const y = b.latest();
      if (x.comesAfter(y)) return 1;
      if (y.comesAfter(x)) return -1;
      return 0;
    });
    const shipTarget = <i32>(<i64>this.maxShipments * 9 / 10);
    const eventTarget = this.maxEvents * 9 / 10;
    let count = all.length;
    for (let i = 0; i < all.length - 1; i++) {
      if (count <= shipTarget && this.totalEvents <= eventTarget) break;
      const victim = all[i];
      this.shipments.delete(victim.id);
      this.totalEvents -= <i64>victim.events.length;
      count--;
      this.evicted++;
    }
  }
}
