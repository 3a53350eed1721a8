import { graphql } from "../gql";

/** What `Thread` shows of a message: every screen with a conversation selects exactly this. */
export const ThreadMessageFields = graphql(`
  fragment ThreadMessage on Message {
    id
    body
    internal
    createdAt
    author {
      id
      name
      role
    }
  }
`);
