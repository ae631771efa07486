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
  openDirAt, openFileForRead, openFileForWrite, renameAt, unlinkAt, mkdirAt, fd_close, fd_sync,
  fd_filestat_set_size, writeAll, readSome, fileSize, seekToEnd, Preopen, resolvePath, OFLAGS_CREAT,
  OFLAGS_TRUNC, FDFLAGS_APPEND, ERRNO_NOENT, ERRNO_EXIST,
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
const READ_CHUNK = 1 << 20;

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
  /** the directory entry of the current log is not yet durable: commit() retries the sync first */
  dirSyncPending: bool = false;

  constructor(compactMinBytes: i64) {
    this.compactMinBytes = compactMinBytes;
  }

  /**
   * Finds DATA_DIR among the preopens and opens it as its own directory fd (read-only rights plus
   * fd_sync: a preopen itself has no fd_sync right), creating it and its missing parents first.
   * Every later fd_sync of this fd (a new log's entry, the rename of a compaction) is checked.
   */
  openDir(preopens: Preopen[], dataDir: string): string {
    const rp = resolvePath(preopens, dataDir);
    if (rp === null) return "DATA_DIR " + dataDir + " is not inside any preopened directory (run with --dir " + dataDir + ":<host dir>)";
    let fd = openDirAt(rp.dirfd, rp.rel);
    if (fd == -(<i64>ERRNO_NOENT) && rp.rel != ".") {
      // Create the missing components one by one (mkdir -p); an existing one is fine.
      const parts = rp.rel.split("/");
      let sub = "";
      for (let i = 0; i < parts.length; i++) {
        sub = i == 0 ? parts[i] : sub + "/" + parts[i];
        const merr = mkdirAt(rp.dirfd, sub);
        if (merr != 0 && merr != ERRNO_EXIST) return "cannot create DATA_DIR " + dataDir + " (errno " + merr.toString() + " at " + sub + ")";
      }
      fd = openDirAt(rp.dirfd, rp.rel);
    }
    if (fd < 0) return "cannot open DATA_DIR " + dataDir + " (errno " + (-fd).toString() + ")";
    this.dirfd = <u32>fd;
    this.ownsDir = true;
    return "";
  }

  /** Replays events.log into the store (streaming, 1 MiB at a time) and opens it for appending. */
  replay(store: ShipmentStore): ReplayStats {
    const stats = new ReplayStats();
    unlinkAt(this.dirfd, TMP_NAME); // leftover of an interrupted compaction; events.log is intact
    const rfd = openFileForWrite(this.dirfd, LOG_NAME, OFLAGS_CREAT, 0);
    if (rfd < 0) { stats.error = "cannot open " + LOG_NAME + " (errno " + (-rfd).toString() + ")"; return stats; }
    const fd = <u32>rfd;
    const data = new ByteBuf(READ_CHUNK + 16);
    let eof = false;
    let consumed: i64 = 0; // file offset of data's first byte
    let good: i64 = 0;     // end of the last valid record (or of the header)
    let corrupt = false;
    let total: i64 = 0;
    // Fills data up to at least `want` bytes unless the file ends first. Returns "" or an error.
    while (!eof && data.length < 8) {
      const err = fill(fd, data);
      if (err < 0) { stats.error = "cannot read " + LOG_NAME + " (errno " + (-err).toString() + ")"; fd_close(fd); return stats; }
      if (err == 0) eof = true;
    }
    if (data.length > 0) {
      let headerOk = data.length >= 8;
      let prefixOk = true; // a short file must be the start of our header (a crash while creating the log)
      for (let i = 0; i < 8 && i < data.length; i++) {
        if (<i32>data.byteAt(i) != HEADER.charCodeAt(i)) { headerOk = false; prefixOk = false; break; }
      }
      if (!headerOk && !prefixOk) {
        stats.error = LOG_NAME + " in DATA_DIR is not a tracking log (bad header); refusing to overwrite it";
        fd_close(fd);
        return stats;
      }
      if (headerOk) {
        data.consume(8);
        consumed = 8;
        good = 8;
        while (!corrupt) {
          while (data.length >= 8) {
            const base = data.readPtr;
            const rlen = <i32>load<u32>(base);
            const rcrc = load<u32>(base, 4);
            if (rlen <= 0 || rlen > MAX_RECORD) { corrupt = true; break; }
            if (data.length < 8 + rlen) break;
            const payload = base + 8;
            if (crc32(payload, rlen) != rcrc || !applyRecord(store, payload, rlen, stats)) { corrupt = true; break; }
            stats.records++;
            data.consume(8 + rlen);
            consumed += <i64>(8 + rlen);
            good = consumed;
          }
          if (corrupt || eof) break;
          const n = fill(fd, data);
          if (n < 0) { stats.error = "cannot read " + LOG_NAME + " (errno " + (-n).toString() + ")"; fd_close(fd); return stats; }
          if (n == 0) eof = true;
        }
      }
    }
    fd_close(fd);
    total = consumed + <i64>data.length;
    if (!eof) {
      // Stopped at a corrupt record: the rest of the file is unread; measure it.
      const sz = fileSizeAt(this.dirfd);
      if (sz > total) total = sz;
    }
    if (good < total) {
      stats.truncatedBytes = total - good;
      logWarn("cut a torn or corrupt tail off the event log", "bytes=" + stats.truncatedBytes.toString() + " offset=" + good.toString());
    }
    const afd = openFileForWrite(this.dirfd, LOG_NAME, 0, FDFLAGS_APPEND);
    if (afd < 0) { stats.error = "cannot open " + LOG_NAME + " for append (errno " + (-afd).toString() + ")"; return stats; }
    this.fd = afd;
    if (good < total || good == 0) {
      const terr = fd_filestat_set_size(<u32>afd, <u64>good);
      if (terr != 0) { stats.error = "cannot cut the torn tail of " + LOG_NAME + " (errno " + terr.toString() + ")"; return stats; }
    }
    const end = seekToEnd(<u32>afd);
    if (end < 0) { stats.error = "cannot seek in " + LOG_NAME + " (errno " + (-end).toString() + ")"; return stats; }
    if (good == 0) {
      // A new log: the header and the file's directory entry become durable with the first commit (which
      // syncs the directory, then the file), before anything is acknowledged; start-up pays no fsync.
      // A crash before that leaves an empty or short file, which the next start treats as new.
      const h = new ByteBuf(8);
      h.writeAscii(HEADER);
      const err = writeAll(<u32>afd, h.readPtr, 8);
      if (err != 0) { stats.error = "cannot write " + LOG_NAME + " (errno " + err.toString() + ")"; return stats; }
      this.dirSyncPending = true;
      good = 8;
    }
    this.size = good;
    this.compactedSize = good;
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
    if (this.dirSyncPending) {
      const derr = fd_sync(this.dirfd);
      if (derr != 0) return derr;
      this.dirSyncPending = false;
    }
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

  /** Rewrites the log as the current state (streamed to a temp file). Returns "" or an error. */
  compact(store: ShipmentStore): string {
    const tfd = openFileForWrite(this.dirfd, TMP_NAME, OFLAGS_CREAT | OFLAGS_TRUNC, 0);
    if (tfd < 0) return "cannot create " + TMP_NAME + " (errno " + (-tfd).toString() + ")";
    const out = new ByteBuf(READ_CHUNK + 65536);
    out.writeAscii(HEADER);
    let written: i64 = 0;
    let err: u32 = 0;
    const windows = store.dedupe.devices.values();
    for (let i = 0; i < windows.length && err == 0; i++) {
      frameWindow(out, windows[i]);
      if (out.length >= READ_CHUNK) { written += <i64>out.length; err = drain(<u32>tfd, out); }
    }
    const ships = store.shipments.values();
    for (let i = 0; i < ships.length && err == 0; i++) {
      const evs = ships[i].events;
      for (let j = 0; j < evs.length; j++) frame(out, evs[j]);
      if (out.length >= READ_CHUNK) { written += <i64>out.length; err = drain(<u32>tfd, out); }
    }
    if (err == 0) { written += <i64>out.length; err = drain(<u32>tfd, out); }
    if (err == 0) err = fd_sync(<u32>tfd);
    fd_close(<u32>tfd);
    if (err != 0) { unlinkAt(this.dirfd, TMP_NAME); return "cannot write " + TMP_NAME + " (errno " + err.toString() + ")"; }
    err = renameAt(this.dirfd, TMP_NAME, LOG_NAME);
    if (err != 0) { unlinkAt(this.dirfd, TMP_NAME); return "cannot rename " + TMP_NAME + " (errno " + err.toString() + ")"; }
    // From here on events.log is the compacted file, whatever else fails: switch to it before anything else,
    // so that no later append goes to the old, now unlinked inode.
    if (this.fd >= 0) fd_close(<u32>this.fd);
    const afd = openFileForWrite(this.dirfd, LOG_NAME, 0, FDFLAGS_APPEND);
    if (afd < 0) { this.fd = -1; return "cannot reopen " + LOG_NAME + " (errno " + (-afd).toString() + ")"; }
    this.fd = afd;
    const end = seekToEnd(<u32>afd);
    if (end < 0) { fd_close(<u32>afd); this.fd = -1; return "cannot seek in " + LOG_NAME + " (errno " + (-end).toString() + ")"; }
    // Make the rename itself durable. Until this succeeds, a power loss may bring back the old log, which
    // holds every event the new one holds (compaction only drops what is evicted or superseded): nothing
    // acknowledged is lost, but the failure is reported.
    const derr = fd_sync(this.dirfd);
    this.dirSyncPending = derr != 0;
    const before = this.size;
    this.size = written;
    this.compactedSize = written;
    this.compactions++;
    if (derr != 0) return "cannot sync DATA_DIR after the rename (errno " + derr.toString() + "); nothing is acknowledged until it succeeds";
    logInfo("compacted the event log", "bytes_before=" + before.toString() + " bytes_after=" + written.toString());
    return "";
  }
}

function drain(fd: u32, out: ByteBuf): u32 {
  const err = writeAll(fd, out.readPtr, <usize>out.length);
  out.clear();
  return err;
}

function fill(fd: u32, data: ByteBuf): i64 {
  data.reserve(READ_CHUNK);
  const n = readSome(fd, data.writePtr, <usize>data.spare);
  if (n > 0) data.end += <i32>n;
  return n;
}

function fileSizeAt(dirfd: u32): i64 {
  const fd = openFileForRead(dirfd, LOG_NAME);
  if (fd < 0) return -1;
  const s = fileSize(<u32>fd);
  fd_close(<u32>fd);
  return s;
}

function applyRecord(store: ShipmentStore, payload: usize, len: i32, stats: ReplayStats): bool {
  const r = new BinReader(payload, len);
  const type = r.u8();
  if (type == 1) {
    const e = decodeEvent(r);
    if (e === null) return false;
    store.apply(e);
    stats.events++;
    return true;
  }
  if (type == 2) return store.dedupe.restore(r);
  return false;
}

function frame(out: ByteBuf, e: TrackingEvent): void {
  const at = startFrame(out);
  e.encode(out);
  finishFrame(out, at);
}

function frameWindow(out: ByteBuf, w: DeviceWindow): void {
  const at = startFrame(out);
  w.encode(out);
  finishFrame(out, at);
}

/** Reserves a frame's header (payload length, CRC32) and returns where it starts; finishFrame fills it in. */
function startFrame(out: ByteBuf): i32 {
  const at = out.length;
  out.writeU32LE(0);
  out.writeU32LE(0);
  return at;
}

function finishFrame(out: ByteBuf, at: i32): void {
  const hdr = out.readPtr + <usize>at;
  const plen = out.length - at - 8;
  store<u32>(hdr, <u32>plen);
  store<u32>(hdr, crc32(hdr + 8, plen), 4);
}
