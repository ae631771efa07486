/** A loopback TCP port that was free a moment ago (for test and bench servers: mosquitto, prometheus, the service). */
import * as net from "node:net";

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}
