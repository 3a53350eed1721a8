import "@testing-library/jest-dom/vitest";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type {
  RegisterWebhookEndpointMutation,
  WebhookDeliveriesQuery,
  WebhookDeliveryFieldsFragment,
  WebhookEndpointFieldsFragment,
  WebhookEndpointsQuery,
} from "../../../gql/graphql";
import { fakeApi, fromNow, MINUTE, withProviders, type Vars } from "../../../test/fakeApi";
import { WebhooksScreen } from "./WebhooksScreen";

function endpoint(over: Partial<WebhookEndpointFieldsFragment> = {}): WebhookEndpointFieldsFragment {
  return {
    __typename: "WebhookEndpoint",
    id: "ep-1",
    url: "https://shop.example/hooks",
    description: "Order system",
    events: ["REFUND_PAID", "REFUND_FAILED"],
    active: true,
    disabledReason: null,
    disabledAt: null,
    consecutiveFailures: 0,
    previousSecretExpiresAt: null,
    createdAt: fromNow(-60 * MINUTE),
    ...over,
  };
}

const broken = endpoint({
  id: "ep-2",
  url: "https://erp.example/in",
  description: "",
  events: ["CASE_OPENED"],
  active: false,
  disabledReason: "Disabled automatically after 15 consecutive failed attempts (last: HTTP 503)",
  disabledAt: fromNow(-5 * MINUTE),
  consecutiveFailures: 15,
});

function delivery(over: Partial<WebhookDeliveryFieldsFragment> = {}): WebhookDeliveryFieldsFragment {
  return {
    __typename: "WebhookDelivery",
    id: "d-1",
    messageId: "msg_abc",
    eventType: "REFUND_PAID",
    state: "DELIVERED",
    attempts: 2,
    nextAttemptAt: null,
    lastAttemptAt: fromNow(-2 * MINUTE),
    responseStatus: 200,
    responseBody: "thanks",
    error: null,
    deliveredAt: fromNow(-2 * MINUTE),
    createdAt: fromNow(-3 * MINUTE),
    isResend: false,
    payload: '{"type":"refund.paid"}',
    endpoint: { __typename: "WebhookEndpoint", id: "ep-1", url: "https://shop.example/hooks" },
    ...over,
  };
}

const failing = delivery({
  id: "d-2",
  messageId: "msg_def",
  eventType: "CASE_OPENED",
  state: "PENDING",
  attempts: 3,
  nextAttemptAt: fromNow(10 * MINUTE),
  responseStatus: 503,
  responseBody: "maintenance",
  endpoint: { __typename: "WebhookEndpoint", id: "ep-2", url: "https://erp.example/in" },
});

const ENDPOINT_RESULT_BASE = { __typename: "Query" } as const;

function answers(mutations: Record<string, unknown> = {}) {
  return (name: string, _variables: Vars) => {
    if (name === "WebhookEndpoints") {
      const data: WebhookEndpointsQuery = { ...ENDPOINT_RESULT_BASE, webhookEndpoints: [endpoint(), broken] };
      return data;
    }
    if (name === "WebhookDeliveries") {
      const data: WebhookDeliveriesQuery = {
        __typename: "Query",
        webhookDeliveries: {
          __typename: "WebhookDeliveryConnection",
          edges: [failing, delivery()].map((node) => ({ __typename: "WebhookDeliveryEdge", cursor: `c-${node.id}`, node })),
          pageInfo: { __typename: "PageInfo", hasNextPage: false, endCursor: "c-d-1" },
        },
      };
      return data;
    }
    return mutations[name] ?? null;
  };
}

/** The screen, with the register form's answer given. */
function renderRegistering(outcome: RegisterWebhookEndpointMutation["registerWebhookEndpoint"]) {
  const api = fakeApi(answers({ RegisterWebhookEndpoint: { __typename: "Mutation", registerWebhookEndpoint: outcome } }));
  render(withProviders(api, <WebhooksScreen />, { role: "ADMIN" }));
  return { api, user: userEvent.setup(), form: screen.getByRole("region", { name: "Register an endpoint" }) };
}

describe("WebhooksScreen", () => {
  it("shows each endpoint with its events and why it is disabled, and deliveries with their answer", () => {
    const api = fakeApi(answers());
    render(withProviders(api, <WebhooksScreen />, { role: "ADMIN" }));

    const [shop, erp] = screen.getAllByTestId("webhook-endpoint");
    expect(within(shop!).getByText("https://shop.example/hooks")).toBeInTheDocument();
    expect(within(shop!).getByText("Active")).toBeInTheDocument();
    expect(within(shop!).getByText(/Receives: Refund paid, Refund failed/)).toBeInTheDocument();
    expect(within(shop!).getByRole("button", { name: "Disable" })).toBeInTheDocument();
    expect(within(erp!).getByText("Disabled")).toBeInTheDocument();
    expect(within(erp!).getByRole("note")).toHaveTextContent("15 consecutive failed attempts (last: HTTP 503)");
    expect(within(erp!).getByRole("button", { name: "Enable" })).toBeInTheDocument();

    const [pending, delivered] = screen.getAllByTestId("webhook-delivery");
    expect(within(pending!).getByText("Pending")).toBeInTheDocument();
    expect(within(pending!).getByText("HTTP 503")).toBeInTheDocument();
    expect(within(pending!).getByText("maintenance")).toBeInTheDocument();
    expect(within(pending!).getByText(/next try/)).toBeInTheDocument();
    expect(within(pending!).getByText("3 attempts")).toBeInTheDocument();
    expect(within(delivered!).getByText("Delivered")).toBeInTheDocument();
    expect(within(delivered!).getByText("HTTP 200")).toBeInTheDocument();
    expect(within(delivered!).getByText("msg_abc")).toBeInTheDocument();
    expect(within(delivered!).getByText("2 attempts")).toBeInTheDocument();
    expect(api.lastQuery("WebhookDeliveries")).toEqual({ first: 20, after: null, endpointId: null, state: null });
  });

  it("registers an endpoint with the chosen events and shows its secret once", async () => {
    const { api, user, form } = renderRegistering({
      __typename: "WebhookEndpointRegistered",
      secret: "whsec_c2VjcmV0LXNob3duLW9uY2U=",
      endpoint: endpoint({ id: "ep-3", url: "https://new.example/hooks", events: ["REFUND_PAID", "CASE_RESOLVED"] }),
    });
    await user.type(within(form).getByLabelText("URL"), "https://new.example/hooks");
    await user.click(within(form).getByLabelText(/Refund failed/));
    await user.click(within(form).getByLabelText(/Case resolved/));
    await user.click(within(form).getByRole("button", { name: "Register endpoint" }));

    await waitFor(() => expect(screen.getByTestId("webhook-secret")).toHaveTextContent("whsec_c2VjcmV0LXNob3duLW9uY2U="));
    expect(api.mutations).toEqual([
      {
        name: "RegisterWebhookEndpoint",
        variables: { input: { url: "https://new.example/hooks", description: "", events: ["REFUND_PAID", "CASE_RESOLVED"] } },
      },
    ]);
    expect(within(form).getByLabelText("URL")).toHaveValue("");
    await user.click(screen.getByRole("button", { name: "I have stored it" }));
    expect(screen.queryByTestId("webhook-secret")).toBeNull();
  });

  it("shows every field the server refused", async () => {
    const { user, form } = renderRegistering({
      __typename: "ValidationFailed",
      message: "Invalid input: url: must start with http:// or https://",
      code: "VALIDATION_FAILED",
      fields: [{ __typename: "FieldError", field: "url", message: "must start with http:// or https://" }],
    });
    await user.type(within(form).getByLabelText("URL"), "https://x.example");
    await user.click(within(form).getByRole("button", { name: "Register endpoint" }));
    const alert = await within(form).findByRole("alert");
    expect(alert).toHaveTextContent("Please check the form");
    expect(alert).toHaveTextContent("url: must start with http:// or https://");
  });

  it("rotates a secret with the chosen grace period, disables an endpoint and resends a delivery", async () => {
    const api = fakeApi(
      answers({
        RotateWebhookSecret: {
          __typename: "Mutation",
          rotateWebhookSecret: {
            __typename: "WebhookSecretRotated",
            secret: "whsec_bmV3LXNlY3JldA==",
            previousSecretExpiresAt: fromNow(60 * MINUTE),
            endpoint: endpoint({ previousSecretExpiresAt: fromNow(60 * MINUTE) }),
          },
        },
        UpdateWebhookEndpoint: {
          __typename: "Mutation",
          updateWebhookEndpoint: {
            __typename: "NotFound",
            message: "Webhook endpoint not found",
            code: "NOT_FOUND",
          },
        },
        ResendWebhookDelivery: {
          __typename: "Mutation",
          resendWebhookDelivery: {
            __typename: "WebhookDeliveryResent",
            delivery: delivery({ id: "d-9", state: "PENDING", attempts: 0, isResend: true }),
          },
        },
      }),
    );
    render(withProviders(api, <WebhooksScreen />, { role: "ADMIN" }));
    const user = userEvent.setup();
    const shop = within(screen.getAllByTestId("webhook-endpoint")[0]!);

    await user.selectOptions(shop.getByLabelText("Rotate the signing secret"), "3600");
    await user.click(shop.getByRole("button", { name: "Rotate secret" }));
    await waitFor(() => expect(shop.getByTestId("webhook-secret")).toHaveTextContent("whsec_bmV3LXNlY3JldA=="));

    await user.click(shop.getByRole("button", { name: "Disable" }));
    expect(await shop.findByText(/Webhook endpoint not found/)).toBeInTheDocument();

    const [pending] = screen.getAllByTestId("webhook-delivery");
    await user.click(within(pending!).getByRole("button", { name: "Resend" }));
    expect(await within(pending!).findByText("Queued again.")).toBeInTheDocument();

    expect(api.mutations).toEqual([
      { name: "RotateWebhookSecret", variables: { input: { endpointId: "ep-1", gracePeriodSeconds: 3600 } } },
      { name: "UpdateWebhookEndpoint", variables: { input: { endpointId: "ep-1", active: false } } },
      { name: "ResendWebhookDelivery", variables: { input: { deliveryId: "d-2" } } },
    ]);
  });
});
