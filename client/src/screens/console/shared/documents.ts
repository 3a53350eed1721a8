import { graphql } from "../../../gql";

/** What `slaLines` reads of a case: every view that shows its SLA (and every answer that moves it)
 * selects exactly this. */
export const CaseSlaFields = graphql(`
  fragment CaseSla on SupportCase {
    status
    firstResponseDueAt
    resolutionDueAt
    firstResponseBreached
    resolutionBreached
  }
`);

/** A case's working state: what the queue rows and the case controls show (status, priority,
 * assignee, SLA). Every control's answer selects the same, so the cache stays whole. */
export const CaseWorkFields = graphql(`
  fragment CaseWork on SupportCase {
    id
    priority
    updatedAt
    assignee {
      id
      name
    }
    ...CaseSla
  }
`);
