import { graphql } from "../../../gql";

export const Satisfaction = graphql(`
  query Satisfaction($since: DateTime, $until: DateTime) {
    satisfactionReport(since: $since, until: $until) {
      since
      until
      overall {
        count
        average
        distribution {
          score
          count
        }
      }
      agents {
        agent {
          id
          name
        }
        count
        average
        distribution {
          score
          count
        }
      }
    }
  }
`);
