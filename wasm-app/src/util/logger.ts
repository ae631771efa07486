// Line-oriented logs on stderr: `level=info msg="..."` plus optional key=value pairs.
// Secrets (MQTT_PASSWORD) are never passed here.
import { writeAll, wallMs } from "../abi/wasi";
import { ByteBuf } from "./bytes";

const line = new ByteBuf(512);

function emit(level: string, msg: string, extra: string): void {
  line.clear();
  line.writeAscii("ts=");
  line.writeDecimal(wallMs());
  line.writeAscii(" level=");
  line.writeAscii(level);
  line.writeAscii(" msg=");
  line.writeJsonString(msg);
  if (extra.length > 0) {
    line.writeByte(32);
    line.writeUtf8(extra);
  }
  line.writeByte(10);
  writeAll(2, line.readPtr, <usize>line.length);
}

export function logInfo(msg: string, extra: string = ""): void { emit("info", msg, extra); }
export function logWarn(msg: string, extra: string = ""): void { emit("warn", msg, extra); }
export function logError(msg: string, extra: string = ""): void { emit("error", msg, extra); }
