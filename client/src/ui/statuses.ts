// How each status is shown: its words and its badge's colour together, so a status never has one
// without the other.
import type { CasePriority, CaseStatus, OrderStatus, RefundStatus } from "../gql/graphql";
import type { Shown } from "./Badge";

export const CASE_STATUS: Record<CaseStatus, Shown> = {
  OPEN: { label: "Open", tone: "info" },
  IN_PROGRESS: { label: "In progress", tone: "info" },
  WAITING_ON_CUSTOMER: { label: "Waiting on customer", tone: "warn" },
  RESOLVED: { label: "Resolved", tone: "good" },
  CLOSED: { label: "Closed", tone: "neutral" },
};

export const PRIORITY: Record<CasePriority, Shown> = {
  LOW: { label: "Low", tone: "neutral" },
  NORMAL: { label: "Normal", tone: "neutral" },
  HIGH: { label: "High", tone: "warn" },
  URGENT: { label: "Urgent", tone: "bad" },
};

export const ORDER_STATUS: Record<OrderStatus, Shown> = {
  PLACED: { label: "Placed", tone: "neutral" },
  SHIPPED: { label: "Shipped", tone: "info" },
  DELIVERED: { label: "Delivered", tone: "good" },
  CANCELLED: { label: "Cancelled", tone: "bad" },
};

export const REFUND_STATUS: Record<RefundStatus, Shown> = {
  REQUESTED: { label: "Requested", tone: "info" },
  APPROVED: { label: "Approved", tone: "info" },
  REJECTED: { label: "Rejected", tone: "bad" },
  CANCELLED: { label: "Cancelled", tone: "neutral" },
  PROCESSING: { label: "Paying out", tone: "warn" },
  SUCCEEDED: { label: "Paid", tone: "good" },
  FAILED: { label: "Failed", tone: "bad" },
};
