import { graphql } from "../../../gql";

export const AgentQueue = graphql(`
  query AgentQueue($first: Int!, $after: String, $filter: SupportCaseFilter, $sort: CaseSort) {
    supportCases(first: $first, after: $after, filter: $filter, sort: $sort) {
      totalCount
      edges {
        cursor
        node {
          ...CaseWork
          number
          subject
          createdAt
          customer {
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
        ...Pager
      }
    }
  }
`);
