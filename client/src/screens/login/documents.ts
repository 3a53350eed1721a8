import { graphql } from "../../gql";

export const StartBrowserSession = graphql(`
  mutation StartBrowserSession($input: LoginInput!) {
    startBrowserSession(input: $input) {
      __typename
      ... on BrowserSession {
        accessToken
        accessTokenExpiresAt
        user {
          id
          name
          email
          role
        }
      }
      ...ResultError
    }
  }
`);
