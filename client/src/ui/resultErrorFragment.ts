import { graphql } from "../gql";

/**
 * What every mutation selects of its error members: the message and code of `Error`, plus the
 * extras some types carry. Naming `OrderUnavailable` here also opts the refund mutations into
 * that member (API 1.1). `ErrorNotice` renders each of these types.
 */
export const ResultErrorFields = graphql(`
  fragment ResultError on Error {
    __typename
    message
    code
    ... on ValidationFailed {
      fields {
        field
        message
      }
    }
    ... on RateLimited {
      retryAfterSeconds
    }
    ... on RefundNotAllowed {
      denial
    }
    ... on RatingNotAllowed {
      ratingDenial: denial
    }
    ... on OrderUnavailable {
      message
    }
    ... on InvalidTransition {
      fromCaseStatus
      toCaseStatus
    }
  }
`);
