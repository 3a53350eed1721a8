import { graphql } from "../../../gql";

// What the refund list shows of a refund; requesting and cancelling select the same, so the cache
// stays whole.
export const CustomerRefundFields = graphql(`
  fragment CustomerRefund on Refund {
    id
    status
    reason
    createdAt
    updatedAt
    failureReason
    decisionNote
    includeShipping
    amount {
      amount
      currency
    }
  }
`);

// What the rating form reads of the case; rating selects the same.
export const RatedCaseFields = graphql(`
  fragment RatedCase on SupportCase {
    id
    status
    ratingWindowEndsAt
    satisfaction {
      score
      comment
      ratedAt
    }
  }
`);

export const CustomerCase = graphql(`
  query CustomerCase($id: ID!, $messagesAfter: String) {
    supportCase(id: $id) {
      ...RatedCase
      number
      subject
      description
      category
      createdAt
      order {
        id
        number
        status
        stale
        total {
          amount
          currency
        }
      }
      messages(first: 50, after: $messagesAfter) {
        edges {
          node {
            ...ThreadMessage
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
      refunds: refundsConnection(first: 100) {
        edges {
          node {
            ...CustomerRefund
          }
        }
      }
    }
  }
`);

export const RefundQuoteForOrder = graphql(`
  query RefundQuoteForOrder($orderId: ID!) {
    refundQuote(orderId: $orderId) {
      eligible
      denial
      windowEndsAt
      refundableAmount {
        amount
        currency
      }
      order {
        id
        number
        shipping {
          amount
          currency
        }
        lines {
          ...OrderLineFields
        }
      }
    }
  }
`);

export const PostReply = graphql(`
  mutation PostReply($input: PostMessageInput!) {
    postMessage(input: $input) {
      __typename
      ... on MessagePosted {
        postedMessage {
          id
        }
        supportCase {
          id
          status
          updatedAt
        }
      }
      ...ResultError
    }
  }
`);

export const RequestRefund = graphql(`
  mutation RequestRefund($input: RequestRefundInput!) {
    requestRefund(input: $input) {
      __typename
      ... on RefundRequested {
        refund {
          ...CustomerRefund
          supportCase {
            id
          }
        }
      }
      ...ResultError
    }
  }
`);

export const CancelRefund = graphql(`
  mutation CancelRefund($input: CancelRefundInput!) {
    cancelRefund(input: $input) {
      __typename
      ... on RefundCancelled {
        refund {
          ...CustomerRefund
        }
      }
      ...ResultError
    }
  }
`);

export const RateCase = graphql(`
  mutation RateCase($input: RateCaseInput!) {
    rateCase(input: $input) {
      __typename
      ... on CaseRated {
        supportCase {
          ...RatedCase
        }
      }
      ...ResultError
    }
  }
`);
