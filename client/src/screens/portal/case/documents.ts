import { graphql } from "../../../gql";

export const CustomerCase = graphql(`
  query CustomerCase($id: ID!, $messagesAfter: String) {
    supportCase(id: $id) {
      id
      number
      subject
      description
      status
      category
      createdAt
      ratingWindowEndsAt
      satisfaction {
        score
        comment
        ratedAt
      }
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
          id
          name
          sku
          quantity
          refundedQuantity
          unitPrice {
            amount
            currency
          }
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
          id
          status
          amount {
            amount
            currency
          }
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
          id
          status
          updatedAt
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
        rating {
          score
          comment
          ratedAt
        }
        supportCase {
          id
          satisfaction {
            score
            comment
            ratedAt
          }
        }
      }
      ...ResultError
    }
  }
`);
