import type { CasePriority, CaseStatus, OrderStatus, RefundStatus } from "../gql/graphql";
import type { Tone } from "./Badge";

export const ORDER_TONE: Record<OrderStatus, Tone> = {
  PLACED: "neutral",
  SHIPPED: "info",
  DELIVERED: "good",
  CANCELLED: "bad",
};

export const CASE_TONE: Record<CaseStatus, Tone> = {
  OPEN: "info",
  IN_PROGRESS: "info",
  WAITING_ON_CUSTOMER: "warn",
  RESOLVED: "good",
  CLOSED: "neutral",
};

export const REFUND_TONE: Record<RefundStatus, Tone> = {
  REQUESTED: "info",
  APPROVED: "info",
  PROCESSING: "warn",
  SUCCEEDED: "good",
  FAILED: "bad",
  REJECTED: "bad",
  CANCELLED: "neutral",
};

export const PRIORITY_TONE: Record<CasePriority, Tone> = {
  LOW: "neutral",
  NORMAL: "neutral",
  HIGH: "warn",
  URGENT: "bad",
};
