import type { CaseCategory, CaseEventType, RatingDenial, RefundDenial, RefundReason } from "../gql/graphql";

export const CATEGORY_LABEL: Record<CaseCategory, string> = {
  REFUND_REQUEST: "Refund request",
  DELIVERY_PROBLEM: "Delivery problem",
  PRODUCT_ISSUE: "Product issue",
  BILLING: "Billing",
  OTHER: "Other",
};

export const REFUND_DENIAL_LABEL: Record<RefundDenial, string> = {
  CASE_HAS_NO_ORDER: "This case is not about an order.",
  ORDER_NOT_DELIVERED: "The order has not been delivered yet.",
  OUTSIDE_REFUND_WINDOW: "The refund window for this order has ended.",
  EXCEEDS_REFUNDABLE_AMOUNT: "That is more than can still be refunded on this order.",
  LINE_QUANTITY_EXCEEDED: "More items than were bought (or are left to refund).",
  SHIPPING_ALREADY_REFUNDED: "Shipping has already been refunded.",
  REFUND_ALREADY_PENDING: "A refund for this order is already waiting for a decision.",
  TOO_MANY_REQUESTS: "Too many refund requests today; please try again tomorrow.",
  ORDER_CANCELLED: "The order was cancelled.",
  ORDER_UNAVAILABLE: "The order system cannot be reached right now; nothing was requested. Try again shortly.",
};

export const EVENT_LABEL: Record<CaseEventType, string> = {
  CASE_OPENED: "Case opened",
  MESSAGE_POSTED: "Message",
  STATUS_CHANGED: "Status changed",
  PRIORITY_CHANGED: "Priority changed",
  ASSIGNED: "Assigned",
  REFUND_REQUESTED: "Refund requested",
  REFUND_APPROVED: "Refund approved",
  REFUND_REJECTED: "Refund rejected",
  REFUND_CANCELLED: "Refund cancelled",
  REFUND_QUEUED: "Refund queued",
  REFUND_PROCESSING: "Refund paying out",
  REFUND_SUCCEEDED: "Refund paid",
  REFUND_FAILED: "Refund failed",
  REFUND_RETRIED: "Refund retried",
  ORDER_UPDATED: "Order updated",
  SLA_BREACHED: "SLA breached",
  CASE_RATED: "Rated by the customer",
};

export const RATING_DENIAL_LABEL: Record<RatingDenial, string> = {
  NOT_RESOLVED: "A case can be rated once it is resolved.",
  WINDOW_CLOSED: "The time to rate this case has passed.",
  ALREADY_RATED: "This case has already been rated.",
};

export const REFUND_REASON_LABEL: Record<RefundReason, string> = {
  DAMAGED: "Arrived damaged",
  DEFECTIVE: "Defective",
  WRONG_ITEM: "Wrong item",
  NOT_AS_DESCRIBED: "Not as described",
  NOT_RECEIVED: "Never arrived",
  CHANGED_MIND: "Changed my mind",
  OTHER: "Other",
};
