import { graphql } from "../../../gql";

export const MyOrders = graphql(`
  query MyOrders($first: Int!, $after: String) {
    myOrders(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          number
          status
          placedAt
          promisedDeliveryDate
          deliveredAt
          stale
          total {
            amount
            currency
          }
          refundedAmount {
            amount
            currency
          }
        }
      }
      pageInfo {
        ...Pager
      }
    }
  }
`);

export const MyCases = graphql(`
  query MyCases($first: Int!, $after: String, $filter: SupportCaseFilter) {
    supportCases(first: $first, after: $after, filter: $filter) {
      edges {
        node {
          id
          number
          subject
          status
          updatedAt
          order {
            id
            number
          }
          lastMessage {
            id
            createdAt
            author {
              id
              name
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
