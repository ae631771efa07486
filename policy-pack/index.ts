// Constructing a PolicyPack starts the analyzer's gRPC server: nothing else belongs here, and tests never import it.
import { PolicyPack } from "@pulumi/policy";
import { PACK_ENFORCEMENT, PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, { enforcementLevel: PACK_ENFORCEMENT, policies });
