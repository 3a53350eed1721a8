import { graphql } from "../../../gql";

export const WebhookEndpointFields = graphql(`
  fragment WebhookEndpointFields on WebhookEndpoint {
    id
    url
    description
    events
    active
    disabledReason
    disabledAt
    consecutiveFailures
    previousSecretExpiresAt
    createdAt
  }
`);

export const WebhookEndpoints = graphql(`
  query WebhookEndpoints {
    webhookEndpoints {
      ...WebhookEndpointFields
    }
  }
`);

// What a row of the deliveries shows; a resend answers with the same, so the cache stays whole.
export const WebhookDeliveryFields = graphql(`
  fragment WebhookDeliveryFields on WebhookDelivery {
    id
    messageId
    eventType
    state
    attempts
    nextAttemptAt
    lastAttemptAt
    responseStatus
    responseBody
    error
    deliveredAt
    createdAt
    isResend
    payload
    endpoint {
      id
      url
    }
  }
`);

export const WebhookDeliveries = graphql(`
  query WebhookDeliveries($first: Int!, $after: String, $endpointId: ID, $state: [WebhookDeliveryState!]) {
    webhookDeliveries(first: $first, after: $after, endpointId: $endpointId, state: $state) {
      edges {
        cursor
        node {
          ...WebhookDeliveryFields
        }
      }
      pageInfo {
        ...Pager
      }
    }
  }
`);

export const RegisterWebhookEndpoint = graphql(`
  mutation RegisterWebhookEndpoint($input: RegisterWebhookEndpointInput!) {
    registerWebhookEndpoint(input: $input) {
      __typename
      ... on WebhookEndpointRegistered {
        secret
        endpoint {
          ...WebhookEndpointFields
        }
      }
      ...ResultError
    }
  }
`);

export const UpdateWebhookEndpoint = graphql(`
  mutation UpdateWebhookEndpoint($input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(input: $input) {
      __typename
      ... on WebhookEndpointUpdated {
        endpoint {
          ...WebhookEndpointFields
        }
      }
      ...ResultError
    }
  }
`);

export const RotateWebhookSecret = graphql(`
  mutation RotateWebhookSecret($input: RotateWebhookSecretInput!) {
    rotateWebhookSecret(input: $input) {
      __typename
      ... on WebhookSecretRotated {
        secret
        previousSecretExpiresAt
        endpoint {
          ...WebhookEndpointFields
        }
      }
      ...ResultError
    }
  }
`);

export const ResendWebhookDelivery = graphql(`
  mutation ResendWebhookDelivery($input: ResendWebhookDeliveryInput!) {
    resendWebhookDelivery(input: $input) {
      __typename
      ... on WebhookDeliveryResent {
        delivery {
          ...WebhookDeliveryFields
        }
      }
      ...ResultError
    }
  }
`);
