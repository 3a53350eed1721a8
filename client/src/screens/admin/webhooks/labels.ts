import type { WebhookDeliveryState, WebhookEvent } from "../../../gql/graphql";
import type { Shown } from "../../../ui/Badge";

/** Every event, in the order the screen offers them (a new event fails to compile until it is
 * here), with its label and the payload `type` the shop receives. */
export const WEBHOOK_EVENT: Record<WebhookEvent, { label: string; type: string }> = {
  REFUND_PAID: { label: "Refund paid", type: "refund.paid" },
  REFUND_FAILED: { label: "Refund failed", type: "refund.failed" },
  REFUND_REQUESTED: { label: "Refund requested", type: "refund.requested" },
  REFUND_APPROVED: { label: "Refund approved", type: "refund.approved" },
  CASE_OPENED: { label: "Case opened", type: "case.opened" },
  CASE_RESOLVED: { label: "Case resolved", type: "case.resolved" },
};

export const WEBHOOK_EVENTS: ReadonlyArray<{ event: WebhookEvent; label: string; type: string }> = (
  Object.keys(WEBHOOK_EVENT) as WebhookEvent[]
).map((event) => ({ event, ...WEBHOOK_EVENT[event] }));

export const DELIVERY_STATE: Record<WebhookDeliveryState, Shown> = {
  PENDING: { label: "Pending", tone: "warn" },
  DELIVERED: { label: "Delivered", tone: "good" },
  FAILED: { label: "Failed", tone: "bad" },
};

/** The grace periods offered when rotating a secret (seconds). */
export const GRACE_CHOICES: ReadonlyArray<{ seconds: number; label: string }> = [
  { seconds: 24 * 3600, label: "24 hours (old secret still signs)" },
  { seconds: 3600, label: "1 hour" },
  { seconds: 7 * 24 * 3600, label: "7 days" },
  { seconds: 0, label: "None: stop the old secret now" },
];
