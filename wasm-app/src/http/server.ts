// HTTP/1.1 server: a nonblocking listener plus one state machine per connection with
// its own input/output buffers and deadlines, so a slow or broken client only ever
// costs its own buffers, never the loop's time.
import { fd_close, ERRNO_AGAIN } from "../abi/wasi";
import { openTcp, bindListen, setIntOption, setNonblocking, acceptNonblocking, recvInto, sendFrom, shutdownBoth, shutdownWrite, SO_REUSEADDR } from "../abi/sockets";
import { ByteBuf } from "../util/bytes";
import { EventLoop, Pollable, NO_DEADLINE, loopNowMs, wakeNs, roundNo } from "../net/loop";
import { HttpRequest, parseRequest, PARSE_INCOMPLETE, PARSE_OK, MAX_HEADER_BYTES, MAX_BODY_BYTES, METHOD_HEAD } from "./parser";
import { route, writeError } from "./router";
import { metrics } from "../metrics";
import { nowNs } from "../abi/wasi";
import { logWarn } from "../util/logger";

const READ_CHUNK = 16384;
const OUT_HIGH_WATER = 256 * 1024;
const WRITE_STALL_MS: i64 = 10000;
const MAX_ACCEPTS_PER_WAKE = 64;
// Work one connection may do per wake-up. A client that pipelines thousands of requests without reading
// gets them answered a batch at a time (the rest wait in its input buffer, and reading stops until they
// are answered), so it cannot stall every other connection for the length of its pipeline.
const MAX_REQUESTS_PER_WAKE = 8;
const INPUT_HIGH_WATER = MAX_HEADER_BYTES + MAX_BODY_BYTES + READ_CHUNK;
/** A keep-alive connection quiet for this long counts as idle for the loop (see mayDefer). */
const IDLE_CONNECTION_MS: i64 = 1000;

export class HttpSettings {
  maxConnections: i32 = 1024;
  headerTimeoutMs: i64 = 10000;
  idleTimeoutMs: i64 = 60000;
}

export class HttpListener extends Pollable {
  connections: i32 = 0;
  constructor(public loop: EventLoop, public settings: HttpSettings) {
    super();
  }

  /** Opens, binds and listens. Returns "" or an error description. */
  listen(ip: u32, port: i32): string {
    const fd = openTcp();
    if (fd < 0) return "sock_open failed (errno " + (-fd).toString() + ")";
    this.fd = <u32>fd;
    setIntOption(this.fd, SO_REUSEADDR, 1);
    const err = bindListen(this.fd, ip, <u32>port, 1024);
    if (err != 0) return "cannot listen on port " + port.toString() + " (errno " + err.toString() + ")";
    setNonblocking(this.fd);
    return "";
  }

  wantRead(): bool { return true; }
  wantWrite(): bool { return false; }
  deadline(): i64 { return NO_DEADLINE; }
  onWritable(): void {}
  onTimer(nowMs: i64): void {}
  onPollError(errno: u32): void {
    logWarn("poll error on the HTTP listener", "errno=" + errno.toString());
  }

  onReadable(hangup: bool): void {
    for (let i = 0; i < MAX_ACCEPTS_PER_WAKE; i++) {
      const fd = acceptNonblocking(this.fd);
      if (fd < 0) break; // AGAIN (nothing pending) or a transient error such as ECONNABORTED
      if (this.connections >= this.settings.maxConnections) {
        // Over the limit: answer 503 best-effort and close instead of queueing unboundedly.
        const b = new ByteBuf(128);
        b.writeAscii("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        sendFrom(<u32>fd, b.readPtr, b.length);
        fd_close(<u32>fd);
        continue;
      }
      const c = new HttpConnection(<u32>fd, this);
      this.connections++;
      metrics.httpConnections = this.connections;
      this.loop.add(c);
    }
  }
}

export class HttpConnection extends Pollable {
  inb: ByteBuf = new ByteBuf(1024);
  out: ByteBuf = new ByteBuf(1024);
  req: HttpRequest = new HttpRequest();
  closing: bool = false;       // finish writing, then close
  lingerUntilMs: i64 = -1;
  peerClosed: bool = false;     // write side shut; draining input until the peer closes
  readEof: bool = false;        // the peer sent EOF; answer what is buffered, then close
  backlog: bool = false;        // buffered input not yet processed (the per-wake-up budget ran out)
  budgetRound: u32 = 0xFFFFFFFF; // the poll round budgetLeft belongs to
  budgetLeft: i32 = 0;           // requests this connection may still answer in that round (read and write events share it)
  requestStartMs: i64 = -1;   // first byte of the request in progress
  lastActivityMs: i64;
  writeProgressMs: i64;

  constructor(fd: u32, public listener: HttpListener) {
    super();
    this.fd = fd;
    this.lastActivityMs = loopNowMs;
    this.writeProgressMs = loopNowMs;
  }

  wantRead(): bool {
    if (this.lingerUntilMs >= 0) return true;
    return !this.closing && !this.readEof && this.out.length < OUT_HIGH_WATER && this.inb.length < INPUT_HIGH_WATER;
  }
  // A backlog asks for FD_WRITE: a writable socket wakes the loop at once, so the next batch runs in the
  // next round, after every other ready connection had its turn.
  wantWrite(): bool { return this.out.length > 0 || this.backlog; }

  // An idle keep-alive connection (nothing buffered, nothing in progress, quiet for a second) can wait for
  // the loop's next sweep: its next request is then seen at most SWEEP_EVERY_MS later.
  mayDefer(nowMs: i64): bool {
    return this.lingerUntilMs < 0 && !this.closing && !this.backlog && this.out.length == 0 && this.inb.length == 0 &&
      this.requestStartMs < 0 && nowMs - this.lastActivityMs >= IDLE_CONNECTION_MS;
  }

  deadline(): i64 {
    if (this.lingerUntilMs >= 0) return this.lingerUntilMs;
    if (this.out.length > 0) return this.writeProgressMs + WRITE_STALL_MS;
    if (this.requestStartMs >= 0) return this.requestStartMs + this.listener.settings.headerTimeoutMs;
    return this.lastActivityMs + this.listener.settings.idleTimeoutMs;
  }

  onTimer(nowMs: i64): void {
    if (this.lingerUntilMs >= 0) { this.close(); return; }
    if (this.out.length > 0) { this.close(); return; } // peer stopped reading
    if (this.requestStartMs >= 0) {
      // Slow or stalled request head (slowloris): answer 408 and close.
      this.respondError(408, "request not received in time", false);
      this.closing = true;
      this.flush();
      return;
    }
    this.close(); // idle keep-alive connection
  }

  onPollError(errno: u32): void { this.close(); }

  onReadable(hangup: bool): void {
    if (this.lingerUntilMs >= 0) {
      // Discard whatever the peer still sends so our close does not turn into a reset
      // that would destroy the response before the peer reads it.
      this.inb.clear();
      const d = recvInto(this.fd, this.inb.writePtr, this.inb.spare);
      if (d != -(<i64>ERRNO_AGAIN) && d <= 0) this.close();
      return;
    }
    this.inb.reserve(READ_CHUNK);
    const n = recvInto(this.fd, this.inb.writePtr, this.inb.spare);
    if (n == -(<i64>ERRNO_AGAIN)) return;
    if (n <= 0) {
      // EOF or error: the peer is gone or half-closed; answer what is buffered, then close.
      this.readEof = true;
      this.peerClosed = true;
      if (!this.backlog) this.closing = true;
      if (this.out.length == 0 && !this.backlog) this.close();
      else this.flush();
      return;
    }
    this.inb.end += <i32>n;
    this.lastActivityMs = loopNowMs;
    if (this.requestStartMs < 0) this.requestStartMs = loopNowMs;
    this.process();
    this.flush();
  }

  onWritable(): void {
    this.flush();
    if (this.closed || !this.backlog || this.closing || this.out.length >= OUT_HIGH_WATER) return;
    this.process();
    if (!this.backlog && this.readEof) this.closing = true;
    this.flush();
  }

  private respondError(code: i32, msg: string, keepAlive: bool): void {
    const written = writeError(this.out, code, msg, keepAlive, this.req.http10, false);
    this.observe(written);
  }

  private observe(code: i32): void {
    metrics.observeRequest(<i64>(nowNs() - wakeNs), code);
  }

  private process(): void {
    this.backlog = false;
    if (this.budgetRound != roundNo) { this.budgetRound = roundNo; this.budgetLeft = MAX_REQUESTS_PER_WAKE; }
    while (!this.closing && this.inb.length > 0) {
      if (this.budgetLeft <= 0 || this.out.length >= OUT_HIGH_WATER) { this.backlog = true; return; }
      this.budgetLeft--;
      const base = this.inb.readPtr;
      const len = this.inb.length;
      const r = parseRequest(base, len, this.req);
      if (r == PARSE_INCOMPLETE) {
        if (len > MAX_HEADER_BYTES + MAX_BODY_BYTES) { this.respondError(431, "request too large", false); this.closing = true; }
        return;
      }
      if (r != PARSE_OK) {
        this.respondError(r, this.req.error, false);
        this.closing = true; // framing is unknown after a bad request: close
        return;
      }
      const total = this.req.headEnd + this.req.contentLength;
      if (len < total) return; // body still arriving (bodies are read and discarded)
      const code = route(base, this.req, this.out);
      this.observe(code);
      const keep = this.req.keepAlive;
      this.inb.consume(total);
      this.req.reset();
      this.requestStartMs = this.inb.length > 0 ? loopNowMs : -1;
      if (!keep) { this.closing = true; return; }
    }
  }

  flush(): void {
    while (this.out.length > 0) {
      const n = sendFrom(this.fd, this.out.readPtr, this.out.length);
      if (n == -(<i64>ERRNO_AGAIN)) break;
      if (n <= 0) { this.close(); return; }
      this.out.consume(<i32>n);
      this.writeProgressMs = loopNowMs;
    }
    if (this.out.length == 0) {
      this.out.shrinkIfIdle(65536, 1024);
      this.inb.shrinkIfIdle(65536, 1024);
      if (this.closing) this.finish();
    }
  }

  /** Server-side close after the last response: shut our write side, then linger. */
  private finish(): void {
    if (this.closed || this.lingerUntilMs >= 0) return;
    if (this.peerClosed) { this.close(); return; }
    shutdownWrite(this.fd);
    this.inb.clear();
    this.lingerUntilMs = loopNowMs + 2000;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    shutdownBoth(this.fd);
    fd_close(this.fd);
    this.listener.connections--;
    metrics.httpConnections = this.listener.connections;
  }
}
