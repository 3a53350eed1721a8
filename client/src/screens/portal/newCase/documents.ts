import { graphql } from "../../../gql";

export const OrdersForNewCase = graphql(`
  query OrdersForNewCase {
    myOrders(first: 50) {
      edges {
        node {
          id
          number
          status
          placedAt
        }
      }
    }
  }
`);

export const OpenCase = graphql(`
  mutation OpenCase($input: OpenCaseInput!) {
    openCase(input: $input) {
      __typename
      ... on CaseOpened {
        supportCase {
          id
          number
        }
      }
      ...ResultError
    }
  }
`);
