import { graphql } from "../gql";

/** What `Pager` reads of a connection's page: every paged list it serves selects exactly this. */
export const PagerFields = graphql(`
  fragment Pager on PageInfo {
    hasNextPage
    endCursor
  }
`);
