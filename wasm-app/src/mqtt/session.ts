// MQTT 3.1.1 client session over the WasmEdge socket ABI: connect (nonblocking), CONNECT,
// SUBSCRIBE QoS 1 to tracking/<SITE_ID>/+/events, ingest PUBLISHes, keepalive, and
// reconnect with jittered exponential back-off. Ingest is group-committed: every event
// in one read is appended to the durable log, fsync'ed once, and only then PUBACKed.
import { fd_close, ERRNO_AGAIN, ERRNO_INPROGRESS, randomU32 } from "../abi/wasi";
import {
  openTcp, setNonblocking, connectTo, recvInto, sendFrom, shutdownBoth, getSocketError, parseIPv4, resolveIPv4,
} from "../abi/sockets";
import { ByteBuf } from "../util/bytes";
import { Pollable, NO_DEADLINE, loopNowMs } from "../net/loop";
import {
  Frame, Publish, readFrame, decodePublish, encodeConnect, encodeSubscribe, encodePuback, encodePingreq,
  FRAME_INCOMPLETE, FRAME_MALFORMED, CONNACK, SUBACK, PUBLISH, PINGRESP,
} from "./codec";
import { parseEvent, TrackingEvent } from "../events/event";
import { DurableLog } from "../store/durable-log";
import { shipments, readiness } from "../app";
import { metrics } from "../metrics";
import { logInfo, logWarn, logError } from "../util/logger";

const ST_IDLE = 0;        // waiting for the next attempt
const ST_CONNECTING = 1;  // TCP connect in progress
const ST_CONNACK = 2;     // CONNECT sent
const ST_SUBACK = 3;      // SUBSCRIBE sent
const ST_SUBSCRIBED = 4;

const HANDSHAKE_TIMEOUT_MS: i64 = 10000;
const INITIAL_BACKOFF_MS: i64 = 200;
const MAX_PACKET = 1 << 20;
const READ_BUDGET = 1 << 20; // bytes read per wake-up before processing
const SUBSCRIBE_ID: u32 = 1;
const REFUSED = "broker refused the connection: ";

export class MqttSettings {
  host: string = "127.0.0.1";
  port: i32 = 1883;
  clientId: string = "";
  username: string | null = null;
  password: string | null = null;
  keepaliveS: i32 = 30;
  reconnectMaxMs: i64 = 5000;
  topicFilter: string = "";
}

export class MqttSession extends Pollable {
  state: i32 = ST_IDLE;
  inb: ByteBuf = new ByteBuf(4096);
  out: ByteBuf = new ByteBuf(1024);
  nextAttemptMs: i64 = 0;
  stateDeadlineMs: i64 = 0;
  backoffMs: i64 = INITIAL_BACKOFF_MS;
  lastSentMs: i64 = 0;
  lastRecvMs: i64 = 0;
  skipRemaining: i64 = 0;
  frame: Frame = new Frame();
  pub: Publish = new Publish();
  // Per-read batch: events to apply after commit, acks to send after commit.
  batch: TrackingEvent[] = new Array<TrackingEvent>();
  batchKeys: Set<string> = new Set<string>();
  acks: u32[] = new Array<u32>();
  lastRejectLogMs: i64 = -1000000;
  suppressedRejects: i32 = 0;

  constructor(public settings: MqttSettings, public log: DurableLog) {
    super();
  }

  wantRead(): bool { return this.state >= ST_CONNACK; }
  wantWrite(): bool { return this.state == ST_CONNECTING || (this.state >= ST_CONNACK && this.out.length > 0); }

  deadline(): i64 {
    if (this.state == ST_IDLE) return this.nextAttemptMs;
    if (this.state != ST_SUBSCRIBED) return this.stateDeadlineMs;
    const ka = <i64>this.settings.keepaliveS * 1000;
    const ping = this.lastSentMs + ka / 2;
    const dead = this.lastRecvMs + ka + ka / 2;
    return ping < dead ? ping : dead;
  }

  onTimer(nowMs: i64): void {
    if (this.state == ST_IDLE) { this.attempt(); return; }
    if (this.state != ST_SUBSCRIBED) { this.fail("timed out during the MQTT handshake"); return; }
    const ka = <i64>this.settings.keepaliveS * 1000;
    if (nowMs >= this.lastRecvMs + ka + ka / 2) { this.fail("broker silent for 1.5x keepalive"); return; }
    if (nowMs >= this.lastSentMs + ka / 2) {
      encodePingreq(this.out);
      this.lastSentMs = nowMs; // queued counts as sent, or a full socket buffer would spin this timer
      this.flush();
    }
  }

  onPollError(errno: u32): void {
    this.fail("poll error on the MQTT socket (errno " + errno.toString() + ")");
  }

  /** Starts (or restarts) a connection attempt. */
  attempt(): void {
    let ip: i64 = parseIPv4(this.settings.host);
    if (ip < 0) {
      ip = resolveIPv4(this.settings.host);
      if (ip < 0) { this.fail("cannot resolve MQTT_HOST " + this.settings.host + " (errno " + (-ip).toString() + ")"); return; }
    }
    const fd = openTcp();
    if (fd < 0) { this.fail("sock_open failed (errno " + (-fd).toString() + ")"); return; }
    this.fd = <u32>fd;
    this.inb.clear();
    this.out.clear();
    this.skipRemaining = 0;
    setNonblocking(this.fd);
    const err = connectTo(this.fd, <u32>ip, <u32>this.settings.port);
    this.state = ST_CONNECTING;
    this.stateDeadlineMs = loopNowMs + HANDSHAKE_TIMEOUT_MS;
    if (err == 0) { this.connected(); return; }
    if (err != ERRNO_INPROGRESS && err != ERRNO_AGAIN) {
      this.fail("cannot connect to " + this.settings.host + ":" + this.settings.port.toString() + " (errno " + err.toString() + ")");
    }
  }

  private connected(): void {
    encodeConnect(this.out, this.settings.clientId, this.settings.username, this.settings.password,
      this.settings.keepaliveS, false /* persistent session: the broker queues QoS 1 while we are away */);
    this.state = ST_CONNACK;
    this.stateDeadlineMs = loopNowMs + HANDSHAKE_TIMEOUT_MS;
    this.lastRecvMs = loopNowMs;
    this.flush();
  }

  onWritable(): void {
    if (this.state == ST_CONNECTING) {
      const soErr = getSocketError(this.fd);
      if (soErr != 0) { this.fail("cannot connect to " + this.settings.host + ":" + this.settings.port.toString() + " (socket error " + soErr.toString() + ")"); return; }
      this.connected();
      return;
    }
    this.flush();
  }

  flush(): void {
    while (this.out.length > 0 && this.state != ST_IDLE) {
      const n = sendFrom(this.fd, this.out.readPtr, this.out.length);
      if (n == -(<i64>ERRNO_AGAIN)) return;
      if (n <= 0) { this.fail("send to the broker failed (errno " + (-n).toString() + ")"); return; }
      this.out.consume(<i32>n);
      this.lastSentMs = loopNowMs;
    }
  }

  onReadable(hangup: bool): void {
    let total = 0;
    let eof = false;
    while (total < READ_BUDGET) {
      this.inb.reserve(65536);
      const n = recvInto(this.fd, this.inb.writePtr, this.inb.spare);
      if (n == -(<i64>ERRNO_AGAIN)) break;
      if (n <= 0) { eof = true; break; }
      this.inb.end += <i32>n;
      total += <i32>n;
    }
    if (total > 0) this.lastRecvMs = loopNowMs;
    const problem = this.processInput();
    this.commitBatch();
    if (this.state == ST_IDLE) return; // commit failed and dropped the connection
    if (problem.length > 0) {
      if (!problem.startsWith(REFUSED)) metrics.mqttProtocolErrors++;
      this.flush(); // deliver the PUBACKs of what was committed before the bad packet
      if (this.state != ST_IDLE) this.fail(problem);
      return;
    }
    this.flush();
    if (eof && this.state != ST_IDLE) this.fail("the broker closed the connection");
  }

  /** Handles every complete packet in the input buffer. Returns "" or a protocol error. */
  private processInput(): string {
    const f = this.frame;
    while (this.inb.length > 0) {
      if (this.skipRemaining > 0) {
        const drop = this.skipRemaining < <i64>this.inb.length ? <i32>this.skipRemaining : this.inb.length;
        this.inb.consume(drop);
        this.skipRemaining -= <i64>drop;
        continue;
      }
      const base = this.inb.readPtr;
      const len = this.inb.length;
      const r = readFrame(base, len, f);
      if (r == FRAME_INCOMPLETE) return "";
      if (r == FRAME_MALFORMED) return "malformed remaining length";
      if (f.remaining > MAX_PACKET) {
        const msg = this.skipOversize(base, len, f);
        if (msg == "wait") return "";
        if (msg.length > 0) return msg;
        continue;
      }
      if (len < f.total) return "";
      const body = base + <usize>f.headerLen;
      const problem = this.handlePacket(f, body);
      this.inb.consume(f.total);
      if (problem.length > 0) return problem;
    }
    this.inb.shrinkIfIdle(1 << 20, 4096);
    return "";
  }

  /** A PUBLISH larger than MAX_PACKET: reject it without buffering it, but still ack it. */
  private skipOversize(base: usize, len: i32, f: Frame): string {
    if (f.type != PUBLISH || this.state != ST_SUBSCRIBED) return "packet larger than 1 MiB";
    const qos = (f.flags >> 1) & 3;
    if (len < f.headerLen + 2) return "wait";
    const tlen = (<i32>load<u8>(base + <usize>f.headerLen) << 8) | <i32>load<u8>(base + <usize>(f.headerLen + 1));
    const need = f.headerLen + 2 + tlen + (qos > 0 ? 2 : 0);
    if (len < need) return "wait";
    if (qos > 1) return "PUBLISH with QoS " + qos.toString() + " on a QoS 1 subscription";
    if (qos == 1) {
      const at = base + <usize>(need - 2);
      this.acks.push((<u32>load<u8>(at) << 8) | <u32>load<u8>(at, 1));
    }
    this.reject("payload larger than 1 MiB");
    const avail = len < f.total ? len : f.total;
    this.inb.consume(avail);
    this.skipRemaining = <i64>(f.total - avail);
    return "";
  }

  private handlePacket(f: Frame, body: usize): string {
    const t = f.type;
    if (t == CONNACK) {
      if (this.state != ST_CONNACK) return "unexpected CONNACK";
      if (f.remaining != 2 || f.flags != 0) return "malformed CONNACK";
      const rc = <i32>load<u8>(body, 1);
      if (rc != 0) {
        const why = rc == 4 ? "bad user name or password" : rc == 5 ? "not authorized" : rc == 2 ? "client id rejected" : "code " + rc.toString();
        return REFUSED + why;
      }
      metrics.mqttConnected = true;
      metrics.mqttConnects++;
      encodeSubscribe(this.out, SUBSCRIBE_ID, this.settings.topicFilter, 1);
      this.state = ST_SUBACK;
      this.stateDeadlineMs = loopNowMs + HANDSHAKE_TIMEOUT_MS;
      return "";
    }
    if (t == SUBACK) {
      if (this.state != ST_SUBACK) return "unexpected SUBACK";
      if (f.remaining != 3 || f.flags != 0) return "malformed SUBACK";
      const id = (<u32>load<u8>(body) << 8) | <u32>load<u8>(body, 1);
      if (id != SUBSCRIBE_ID) return "SUBACK for an unknown packet id";
      const granted = load<u8>(body, 2);
      if (granted > 2) return "broker refused the subscription to " + this.settings.topicFilter;
      this.state = ST_SUBSCRIBED;
      this.backoffMs = INITIAL_BACKOFF_MS;
      readiness.subscribed = true;
      metrics.mqttSubscribed = true;
      logInfo("subscribed", "topic=" + this.settings.topicFilter + " qos=" + granted.toString());
      return "";
    }
    if (t == PUBLISH) {
      if (this.state != ST_SUBSCRIBED && this.state != ST_SUBACK) return "PUBLISH before the session was set up";
      const p = this.pub;
      const err = decodePublish(f, body, p);
      if (err.length > 0) return err;
      if (p.qos == 2) return "PUBLISH with QoS 2 on a QoS 1 subscription";
      const res = parseEvent(p.payloadPtr, p.payloadLen);
      const e = res.event;
      if (e === null) {
        this.reject(res.reason);
      } else {
        const key = e.deviceId + "\u0000" + e.seq.toString();
        if (shipments.isDuplicate(e.deviceId, e.seq) || this.batchKeys.has(key)) {
          metrics.duplicate++;
        } else {
          this.batchKeys.add(key);
          this.batch.push(e);
          this.log.append(e);
        }
      }
      if (p.qos == 1) this.acks.push(p.packetId);
      return "";
    }
    if (t == PINGRESP) {
      if (f.remaining != 0) return "malformed PINGRESP";
      return "";
    }
    return "unexpected packet type " + t.toString();
  }

  private reject(reason: string): void {
    metrics.rejected++;
    if (loopNowMs - this.lastRejectLogMs >= 1000) {
      logWarn("dropped a malformed event", "reason=\"" + reason + "\" suppressed=" + this.suppressedRejects.toString());
      this.lastRejectLogMs = loopNowMs;
      this.suppressedRejects = 0;
    } else {
      this.suppressedRejects++;
    }
  }

  /** Makes the batch durable, applies it, then queues the PUBACKs. */
  private commitBatch(): void {
    if (this.batch.length > 0) {
      const err = this.log.commit();
      if (err != 0) {
        metrics.storageErrors++;
        readiness.storageOk = false;
        this.batch.length = 0;
        this.batchKeys.clear();
        this.acks.length = 0;
        logError("cannot make events durable; dropping the MQTT connection without acknowledging them", "errno=" + err.toString());
        this.fail("event log write failed");
        return;
      }
      readiness.storageOk = true;
      for (let i = 0; i < this.batch.length; i++) shipments.apply(this.batch[i]);
      metrics.ingested += <i64>this.batch.length;
      this.batch.length = 0;
      this.batchKeys.clear();
    }
    for (let i = 0; i < this.acks.length; i++) encodePuback(this.out, this.acks[i]);
    this.acks.length = 0;
    metrics.logBytes = this.log.size;
    if (this.log.shouldCompact()) {
      const cerr = this.log.compact(shipments);
      if (cerr.length > 0) {
        metrics.storageErrors++;
        logError("event log compaction failed", "error=\"" + cerr + "\"");
      }
      metrics.logBytes = this.log.size;
      metrics.logCompactions = this.log.compactions;
    }
  }

  /** Drops the connection and schedules a reconnect with jittered exponential back-off. */
  fail(reason: string): void {
    const wasSubscribed = this.state == ST_SUBSCRIBED;
    if (this.state != ST_IDLE) {
      shutdownBoth(this.fd);
      fd_close(this.fd);
    }
    this.state = ST_IDLE;
    this.inb.clear();
    this.out.clear();
    this.batch.length = 0;
    this.batchKeys.clear();
    this.acks.length = 0;
    this.log.pending.clear();
    this.log.pendingCount = 0;
    readiness.subscribed = false;
    metrics.mqttConnected = false;
    metrics.mqttSubscribed = false;
    const jitter = <i64>(randomU32() % 400) - 200; // +-20% of 1000 permille
    let wait = this.backoffMs + this.backoffMs * jitter / 1000;
    if (wait < 50) wait = 50;
    this.nextAttemptMs = loopNowMs + wait;
    logWarn(wasSubscribed ? "lost the MQTT session" : "MQTT connection attempt failed",
      "reason=\"" + reason + "\" retry_in_ms=" + wait.toString());
    this.backoffMs = this.backoffMs * 2 > this.settings.reconnectMaxMs ? this.settings.reconnectMaxMs : this.backoffMs * 2;
  }
}
