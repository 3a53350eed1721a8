// The normalized cache: every object with an `id` is stored once, so a live event that carries a
// case, message or refund updates every view of it. Lists whose membership an event changes are
// invalidated here and refetched by the views that show them.
import { cacheExchange, type Cache, type KeyingConfig } from "@urql/exchange-graphcache";
import schema from "../gql/introspection.json";
import type {
  AgentPostMessageMutation,
  ApplyMacroMutation,
  CaseEventType,
  CaseEventsLiveSubscription,
  PostReplyMutation,
  RegisterWebhookEndpointMutation,
  RequestRefundMutation,
  ResendWebhookDeliveryMutation,
} from "../gql/graphql";

interface IntrospectedType {
  kind: string;
  name: string;
  fields?: ReadonlyArray<{ name: string }> | null;
}

/**
 * Types whose `id` is only unique inside their parent: an order line's id comes from the shop's
 * order system, which need not make it unique across orders, so lines stay inside their order.
 */
const SCOPED_ID_TYPES = ["OrderLine"];

/** Types without an `id` (Money, connections, edges, errors, results) are embedded values. */
export function embeddedTypeKeys(types: ReadonlyArray<IntrospectedType>): KeyingConfig {
  const keys: KeyingConfig = {};
  for (const name of SCOPED_ID_TYPES) keys[name] = () => null;
  for (const type of types) {
    if (type.kind !== "OBJECT" || type.name.startsWith("__")) continue;
    if (["Query", "Mutation", "Subscription"].includes(type.name)) continue;
    if (!type.fields?.some((field) => field.name === "id")) keys[type.name] = () => null;
  }
  return keys;
}

function invalidateField(cache: Cache, entity: string, fieldName: string): void {
  for (const field of cache.inspectFields(entity)) {
    if (field.fieldName === fieldName) cache.invalidate(entity, field.fieldKey);
  }
}

/** Events that can move a case into or out of a filtered queue. */
const QUEUE_EVENTS: ReadonlySet<CaseEventType> = new Set<CaseEventType>([
  "CASE_OPENED",
  "STATUS_CHANGED",
  "PRIORITY_CHANGED",
  "ASSIGNED",
  "SLA_BREACHED",
  "MESSAGE_POSTED",
]);

export interface LiveEventShape {
  type: CaseEventType;
  supportCase: { id: string };
}

export function applyCaseEvent(cache: Cache, event: LiveEventShape): void {
  const caseKey = cache.keyOfEntity({ __typename: "SupportCase", id: event.supportCase.id });
  if (!caseKey) return;
  invalidateField(cache, caseKey, "timeline");
  if (event.type === "MESSAGE_POSTED") invalidateField(cache, caseKey, "messages");
  if (event.type === "CASE_RATED") invalidateField(cache, "Query", "satisfactionReport");
  if (event.type.startsWith("REFUND_")) {
    invalidateField(cache, caseKey, "refundsConnection");
    invalidateField(cache, "Query", "refunds");
    invalidateField(cache, "Query", "myOrders");
    invalidateField(cache, "Query", "refundQuote");
  }
  if (QUEUE_EVENTS.has(event.type)) invalidateField(cache, "Query", "supportCases");
}

/** The library is read again after any change to a macro (a new, renamed or deleted one changes
 * the list). */
function refetchMacros(_result: unknown, _args: unknown, cache: Cache): void {
  invalidateField(cache, "Query", "macros");
}

export function createCache() {
  return cacheExchange({
    schema,
    keys: embeddedTypeKeys(schema.__schema.types),
    updates: {
      Subscription: {
        caseEvents(result, _args, cache) {
          const event = result.caseEvents as CaseEventsLiveSubscription["caseEvents"] | undefined;
          if (event) applyCaseEvent(cache, event);
        },
      },
      Mutation: {
        openCase(_result, _args, cache) {
          invalidateField(cache, "Query", "supportCases");
        },
        postMessage(result, _args, cache) {
          // The agent's and the customer's reply select the same case id.
          const outcome = result.postMessage as
            | AgentPostMessageMutation["postMessage"]
            | PostReplyMutation["postMessage"];
          if (outcome.__typename === "MessagePosted") {
            applyCaseEvent(cache, { type: "MESSAGE_POSTED", supportCase: outcome.supportCase });
          }
        },
        applyMacro(result, _args, cache) {
          const outcome = result.applyMacro as ApplyMacroMutation["applyMacro"];
          if (outcome.__typename === "MacroApplied") {
            applyCaseEvent(cache, { type: "MESSAGE_POSTED", supportCase: outcome.supportCase });
            applyCaseEvent(cache, { type: "STATUS_CHANGED", supportCase: outcome.supportCase });
          }
        },
        rateCase(_result, _args, cache) {
          // The result carries the case's new `satisfaction`; only the report is out of date.
          invalidateField(cache, "Query", "satisfactionReport");
        },
        createMacro: refetchMacros,
        updateMacro: refetchMacros,
        deleteMacro: refetchMacros,
        requestRefund(result, _args, cache) {
          const outcome = result.requestRefund as RequestRefundMutation["requestRefund"];
          if (outcome.__typename === "RefundRequested") {
            applyCaseEvent(cache, { type: "REFUND_REQUESTED", supportCase: outcome.refund.supportCase });
          }
        },
        registerWebhookEndpoint(result, _args, cache) {
          const outcome = result.registerWebhookEndpoint as RegisterWebhookEndpointMutation["registerWebhookEndpoint"];
          if (outcome.__typename === "WebhookEndpointRegistered") invalidateField(cache, "Query", "webhookEndpoints");
        },
        resendWebhookDelivery(result, _args, cache) {
          // The resend is a new delivery: it joins the list (the endpoints' own changes arrive as
          // the entities the other webhook mutations answer with).
          const outcome = result.resendWebhookDelivery as ResendWebhookDeliveryMutation["resendWebhookDelivery"];
          if (outcome.__typename === "WebhookDeliveryResent") invalidateField(cache, "Query", "webhookDeliveries");
        },
      },
    },
  });
}
