import { graphql } from "../../../gql";

export const AgentQueue = graphql(`
  query AgentQueue($first: Int!, $after: String, $filter: SupportCaseFilter, $sort: CaseSort) {
    supportCases(first: $first, after: $after, filter: $filter, sort: $sort) {
      totalCount
      edges {
        cursor
        node {
          id
          number
          subject
          status
          priority
          createdAt
          updatedAt
          firstResponseDueAt
          resolutionDueAt
          firstResponseBreached
          resolutionBreached
          customer {
            id
            name
          }
          assignee {
            id
            name
          }
          order {
            id
            number
          }
          lastMessage {
            id
            internal
            createdAt
            author {
              id
              name
              role
            }
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);
