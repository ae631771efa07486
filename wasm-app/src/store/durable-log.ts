// Append-only durable log of accepted events under DATA_DIR.
//
// File: 8-byte header "TRKLOG1\n", then records [u32 len][u32 crc32(payload)][payload].
// Payload type 1 = event, type 2 = a device's dedupe window (written by compaction).
// Events are appended and fd_sync'ed before their PUBACK is sent, so an acknowledged
// event survives SIGKILL. On start the log is replayed; a torn record at the tail (a
// crash mid-write, never acknowledged) is cut off. Compaction rewrites the live state
// (dedupe windows + retained history) to events.log.tmp, syncs it and renames it over
// events.log, so the log stays proportional to the state, not to the traffic.
import {
  openAt, renameAt, unlinkAt, mkdirAt, fd_close, fd_sync, fd_filestat_set_size, writeAll, readSome,
  fileSize, seekToEnd, Preopen, resolvePath, OFLAGS_CREAT, OFLAGS_DIRECTORY, OFLAGS_TRUNC,
  FDFLAGS_APPEND, ERRNO_NOENT,
} from "../abi/wasi";
import { ByteBuf, crc32 } from "../util/bytes";
import { TrackingEvent, BinReader, decodeEvent } from "../events/event";
import { ShipmentStore } from "./shipments";
import { DeviceWindow } from "./dedupe";
import { logInfo, logWarn } from "../util/logger";

const LOG_NAME = "events.log";
const TMP_NAME = "events.log.tmp";
const HEADER = "TRKLOG1\n";
const MAX_RECORD = 1 << 20;

export class ReplayStats {
  records: i32 = 0;
  events: i32 = 0;
  truncatedBytes: i64 = 0;
  error: string = "";
}

export class DurableLog {
  dirfd: u32 = 0;
  ownsDir: bool = false;
  fd: i64 = -1;
  size: i64 = 0;
  compactedSize: i64 = 0;
  compactMinBytes: i64;
  compactions: i64 = 0;
  pending: ByteBuf = new ByteBuf(4096);
  pendingCount: i32 = 0;

  constructor(compactMinBytes: i64) {
    this.compactMinBytes = compactMinBytes;
  }

  /** Finds DATA_DIR among the preopens (creating its last component if missing). */
  openDir(preopens: Preopen[], dataDir: string): string {
    const rp = resolvePath(preopens, dataDir);
    if (rp === null) return "DATA_DIR " + dataDir + " is not inside any preopened directory (run with --dir " + dataDir + ":<host dir>)";
    if (rp.rel == ".") {
      this.dirfd = rp.dirfd;
      return "";
    }
    let fd = openAt(rp.dirfd, rp.rel, OFLAGS_DIRECTORY, 0);
    if (fd == -(<i64>ERRNO_NOENT)) {
      mkdirAt(rp.dirfd, rp.rel);
      fd = openAt(rp.dirfd, rp.rel, OFLAGS_DIRECTORY, 0);
    }
    if (fd < 0) return "cannot open DATA_DIR " + dataDir + " (errno " + (-fd).toString() + ")";
    this.dirfd = <u32>fd;
    this.ownsDir = true;
    return "";
  }

  /** Replays events.log into the store and opens it for appending. */
  replay(store: ShipmentStore): ReplayStats {
    const stats = new ReplayStats();
    unlinkAt(this.dirfd, TMP_NAME); // leftover of an interrupted compaction; events.log is intact
    const rfd = openAt(this.dirfd, LOG_NAME, OFLAGS_CREAT, 0);
    if (rfd < 0) { stats.error = "cannot open " + LOG_NAME + " (errno " + (-rfd).toString() + ")"; return stats; }
    const fd = <u32>rfd;
    const total = fileSize(fd);
    const data = new ByteBuf(<i32>(total > 0 ? total + 1 : 64));
    while (true) {
      data.reserve(65536);
      const n = readSome(fd, data.writePtr, <usize>data.spare);
      if (n < 0) { stats.error = "cannot read " + LOG_NAME + " (errno " + (-n).toString() + ")"; fd_close(fd); return stats; }
      if (n == 0) break;
      data.end += <i32>n;
    }
    let good: i32 = 0;
    const len = data.length;
    const base = data.readPtr;
    if (len > 0) {
      let headerOk = len >= 8;
      for (let i = 0; i < 8 && i < len; i++) {
        if (<i32>load<u8>(base + <usize>i) != HEADER.charCodeAt(i)) { headerOk = false; break; }
      }
      if (!headerOk && len >= 8) {
        stats.error = LOG_NAME + " in DATA_DIR is not a tracking log (bad header); refusing to overwrite it";
        fd_close(fd);
        return stats;
      }
      if (headerOk) good = 8;
      let pos = good;
      while (good == pos && pos + 8 <= len) {
        const rlen = <i32>load<u32>(base + <usize>pos);
        const rcrc = load<u32>(base + <usize>pos, 4);
        if (rlen <= 0 || rlen > MAX_RECORD || pos + 8 + rlen > len) break;
        const payload = base + <usize>(pos + 8);
        if (crc32(payload, rlen) != rcrc) break;
        const r = new BinReader(payload, rlen);
        const type = r.u8();
        if (type == 1) {
          const e = decodeEvent(r);
          if (e === null) break;
          store.apply(e);
          stats.events++;
        } else if (type == 2) {
          if (!store.dedupe.restore(r)) break;
        } else {
          break;
        }
        stats.records++;
        pos += 8 + rlen;
        good = pos;
      }
    }
    fd_close(fd);
    if (good < len) {
      stats.truncatedBytes = <i64>(len - good);
      logWarn("cut a torn or corrupt tail off the event log", "bytes=" + stats.truncatedBytes.toString() + " offset=" + good.toString());
    }
    const afd = openAt(this.dirfd, LOG_NAME, 0, FDFLAGS_APPEND);
    if (afd < 0) { stats.error = "cannot open " + LOG_NAME + " for append (errno " + (-afd).toString() + ")"; return stats; }
    this.fd = afd;
    if (good < len || good == 0) {
      fd_filestat_set_size(<u32>afd, <u64>good);
    }
    seekToEnd(<u32>afd);
    if (good == 0) {
      const h = new ByteBuf(8);
      h.writeAscii(HEADER);
      const err = writeAll(<u32>afd, h.readPtr, 8);
      if (err != 0) { stats.error = "cannot write " + LOG_NAME + " (errno " + err.toString() + ")"; return stats; }
      fd_sync(<u32>afd);
      good = 8;
    }
    this.size = <i64>good;
    this.compactedSize = <i64>good;
    return stats;
  }

  /** Queues an accepted event; it is durable only after commit(). */
  append(e: TrackingEvent): void {
    frame(this.pending, e);
    this.pendingCount++;
  }

  /** Writes and fsyncs queued records. Returns 0 or an errno (nothing may be acked then). */
  commit(): u32 {
    if (this.pending.length == 0) return 0;
    if (this.fd < 0) return 8;
    const fd = <u32>this.fd;
    let err = writeAll(fd, this.pending.readPtr, <usize>this.pending.length);
    if (err == 0) err = fd_sync(fd);
    if (err == 0) this.size += <i64>this.pending.length;
    else {
      // The file may now end in a partial record; replay cuts such a tail. Resync our
      // idea of the size so later appends stay framed.
      const s = fileSize(fd);
      if (s >= 0) this.size = s;
    }
    this.pending.clear();
    this.pending.shrinkIfIdle(1 << 20, 4096);
    this.pendingCount = 0;
    return err;
  }

  shouldCompact(): bool {
    const threshold = this.compactedSize * 2 > this.compactMinBytes ? this.compactedSize * 2 : this.compactMinBytes;
    return this.size > threshold;
  }

  /** Rewrites the log as the current state. Returns "" or an error description. */
  compact(store: ShipmentStore): string {
    const out = new ByteBuf(1 << 16);
    out.writeAscii(HEADER);
    const windows = store.dedupe.devices.values();
    for (let i = 0; i < windows.length; i++) frameWindow(out, windows[i]);
    const ships = store.shipments.values();
    for (let i = 0; i < ships.length; i++) {
      const evs = ships[i].events;
      for (let j = 0; j < evs.length; j++) frame(out, evs[j]);
    }
    const tfd = openAt(this.dirfd, TMP_NAME, OFLAGS_CREAT | OFLAGS_TRUNC, 0);
    if (tfd < 0) return "cannot create " + TMP_NAME + " (errno " + (-tfd).toString() + ")";
    let err = writeAll(<u32>tfd, out.readPtr, <usize>out.length);
    if (err == 0) err = fd_sync(<u32>tfd);
    fd_close(<u32>tfd);
    if (err != 0) { unlinkAt(this.dirfd, TMP_NAME); return "cannot write " + TMP_NAME + " (errno " + err.toString() + ")"; }
    err = renameAt(this.dirfd, TMP_NAME, LOG_NAME);
    if (err != 0) { unlinkAt(this.dirfd, TMP_NAME); return "cannot rename " + TMP_NAME + " (errno " + err.toString() + ")"; }
    fd_sync(this.dirfd); // make the rename itself durable
    if (this.fd >= 0) fd_close(<u32>this.fd);
    const afd = openAt(this.dirfd, LOG_NAME, 0, FDFLAGS_APPEND);
    if (afd < 0) { this.fd = -1; return "cannot reopen " + LOG_NAME + " (errno " + (-afd).toString() + ")"; }
    this.fd = afd;
    seekToEnd(<u32>afd);
    const before = this.size;
    this.size = <i64>out.length;
    this.compactedSize = this.size;
    this.compactions++;
    logInfo("compacted the event log", "bytes_before=" + before.toString() + " bytes_after=" + this.size.toString());
    return "";
  }
}

function frame(out: ByteBuf, e: TrackingEvent): void {
  const at = out.length;
  out.writeU32LE(0);
  out.writeU32LE(0);
  e.encode(out);
  finishFrame(out, at);
}

function frameWindow(out: ByteBuf, w: DeviceWindow): void {
  const at = out.length;
  out.writeU32LE(0);
  out.writeU32LE(0);
  w.encode(out);
  finishFrame(out, at);
}

function finishFrame(out: ByteBuf, at: i32): void {
  const hdr = out.readPtr + <usize>at;
  const plen = out.length - at - 8;
  store<u32>(hdr, <u32>plen);
  store<u32>(hdr, crc32(hdr + 8, plen), 4);
}
