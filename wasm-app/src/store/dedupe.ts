// Remembers which (deviceId, seq) pairs were accepted. Per device it keeps an exact
// set of recent seqs plus a floor: every seq <= floor counts as already seen. When the
// set outgrows WINDOW_MAX it keeps only the WINDOW_KEEP newest seqs and raises the
// floor, so memory per device stays bounded however long the service runs.
import { ByteBuf } from "../util/bytes";
import { writeShortString, BinReader } from "../events/event";

export const WINDOW_MAX = 1024;
export const WINDOW_KEEP = 512;

export class DeviceWindow {
  floor: i64 = i64.MIN_VALUE;
  seen: Set<i64> = new Set<i64>();
  constructor(public deviceId: string) {}

  has(seq: i64): bool {
    return seq <= this.floor || this.seen.has(seq);
  }

  add(seq: i64): void {
    if (seq <= this.floor) return;
    this.seen.add(seq);
    if (this.seen.size > WINDOW_MAX) this.prune();
  }

  private prune(): void {
    const values = this.seen.values();
    values.sort((a: i64, b: i64): i32 => (a < b ? -1 : a > b ? 1 : 0));
    const cut = values.length - WINDOW_KEEP;
    const newFloor = values[cut - 1];
    if (newFloor > this.floor) this.floor = newFloor;
    const next = new Set<i64>();
    for (let i = cut; i < values.length; i++) next.add(values[i]);
    this.seen = next;
  }

  /** Binary log payload (type 2): the window as it stands. */
  encode(out: ByteBuf): void {
    out.writeByte(2);
    writeShortString(out, this.deviceId);
    out.writeI64LE(this.floor);
    const values = this.seen.values();
    out.writeU32LE(<u32>values.length);
    for (let i = 0; i < values.length; i++) out.writeI64LE(values[i]);
  }
}

export class Dedupe {
  devices: Map<string, DeviceWindow> = new Map<string, DeviceWindow>();

  window(deviceId: string): DeviceWindow {
    if (this.devices.has(deviceId)) return this.devices.get(deviceId);
    const w = new DeviceWindow(deviceId);
    this.devices.set(deviceId, w);
    return w;
  }

  has(deviceId: string, seq: i64): bool {
    if (!this.devices.has(deviceId)) return false;
    return this.devices.get(deviceId).has(seq);
  }

  add(deviceId: string, seq: i64): void {
    this.window(deviceId).add(seq);
  }

  /** Restores a window from a type-2 payload (type byte consumed). */
  restore(r: BinReader): bool {
    const id = r.str();
    const floor = r.i64();
    const n = r.u32();
    if (!r.ok || n > <u32>(WINDOW_MAX * 4)) return false;
    const w = this.window(id);
    if (floor > w.floor) w.floor = floor;
    for (let i: u32 = 0; i < n; i++) w.add(r.i64());
    return r.ok;
  }
}
