// Process-wide state shared by the HTTP side and the MQTT side.
import { ShipmentStore } from "./store/shipments";

export const shipments = new ShipmentStore();

export class Readiness {
  subscribed: bool = false;
  storageOk: bool = true;
  get ready(): bool { return this.subscribed && this.storageOk; }
}

export const readiness = new Readiness();
