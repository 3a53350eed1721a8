import type { CasePriority } from "../../../gql/graphql";
import type { Tone } from "../../../ui/Badge";

export const PRIORITY_TONE: Record<CasePriority, Tone> = {
  LOW: "neutral",
  NORMAL: "neutral",
  HIGH: "warn",
  URGENT: "bad",
};
