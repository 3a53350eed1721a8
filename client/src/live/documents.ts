import { graphql } from "../gql";

/**
 * The live event every screen follows. It carries the case, message and refund it is about, so the
 * normalized cache updates every view of them (the case's working state as the queue and the case
 * controls show it: CaseWork); app/cache.ts invalidates the lists it changes.
 */
export const CaseEventsLive = graphql(`
  subscription CaseEventsLive($caseId: ID, $after: String) {
    caseEvents(caseId: $caseId, after: $after) {
      id
      cursor
      type
      occurredAt
      summary
      actor {
        id
        name
        role
      }
      supportCase {
        ...CaseWork
        number
        subject
      }
      message {
        ...ThreadMessage
      }
      refund {
        id
        status
        amount {
          amount
          currency
        }
        failureReason
        decisionNote
        approval
        updatedAt
      }
    }
  }
`);

/** Where the live stream should start so nothing between page load and subscribe is missed. */
export const LatestEventCursor = graphql(`
  query LatestEventCursor($caseId: ID) {
    latestCaseEventCursor(caseId: $caseId)
  }
`);
