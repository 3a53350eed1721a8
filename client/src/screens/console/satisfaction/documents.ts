import { graphql } from "../../../gql";

// What a line of the report shows: overall and per agent alike.
export const SatisfactionRowFields = graphql(`
  fragment SatisfactionRow on Satisfaction {
    count
    average
    distribution {
      score
      count
    }
  }
`);

export const Satisfaction = graphql(`
  query Satisfaction($since: DateTime, $until: DateTime) {
    satisfactionReport(since: $since, until: $until) {
      since
      until
      overall {
        ...SatisfactionRow
      }
      agents {
        agent {
          id
          name
        }
        ...SatisfactionRow
      }
    }
  }
`);
