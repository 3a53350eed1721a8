import { graphql } from "../../../gql";

export const AgentCase = graphql(`
  query AgentCase($id: ID!) {
    supportCase(id: $id) {
      id
      number
      subject
      description
      category
      status
      priority
      createdAt
      updatedAt
      firstResponseDueAt
      resolutionDueAt
      firstResponseBreached
      resolutionBreached
      satisfaction {
        score
        comment
      }
      customer {
        id
        name
        email
      }
      assignee {
        id
        name
      }
      order {
        id
        number
        status
        placedAt
        promisedDeliveryDate
        deliveredAt
        stale
        asOf
        total {
          amount
          currency
        }
        shipping {
          amount
          currency
        }
        refundedAmount {
          amount
          currency
        }
        refundableAmount {
          amount
          currency
        }
        lines {
          id
          sku
          name
          quantity
          refundedQuantity
          unitPrice {
            amount
            currency
          }
        }
      }
      refunds: refundsConnection(first: 100) {
        totalCount
        edges {
          node {
            id
            status
            reason
            note
            approval
            decisionNote
            failureReason
            attempt
            includeShipping
            requiresAdminApproval
            createdAt
            updatedAt
            amount {
              amount
              currency
            }
            decidedBy {
              id
              name
            }
            lines {
              lineId
              quantity
            }
          }
        }
      }

    }
  }
`);

export const AgentList = graphql(`
  query AgentList {
    agentsConnection(first: 100) {
      edges {
        node {
          id
          name
          role
        }
      }
    }
  }
`);

export const AgentCaseMessages = graphql(`
  query AgentCaseMessages($id: ID!, $after: String) {
    supportCase(id: $id) {
      id
      messages(first: 50, after: $after) {
        edges {
          cursor
          node {
            ...ThreadMessage
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

export const AgentCaseTimeline = graphql(`
  query AgentCaseTimeline($id: ID!, $after: String) {
    supportCase(id: $id) {
      id
      timeline(first: 50, after: $after) {
        edges {
          cursor
          node {
            id
            type
            occurredAt
            summary
            before
            after
            actor {
              id
              name
              role
            }
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

export const AgentPostMessage = graphql(`
  mutation AgentPostMessage($input: PostMessageInput!) {
    postMessage(input: $input) {
      __typename
      ... on MessagePosted {
        postedMessage {
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
        supportCase {
          id
          status
          updatedAt
          firstResponseBreached
        }
      }
      ...ResultError
    }
  }
`);

export const AssignCase = graphql(`
  mutation AssignCase($input: AssignCaseInput!) {
    assignCase(input: $input) {
      __typename
      ... on CaseUpdated {
        supportCase {
          id
          updatedAt
          assignee {
            id
            name
          }
        }
      }
      ...ResultError
    }
  }
`);

export const SetCasePriority = graphql(`
  mutation SetCasePriority($input: SetCasePriorityInput!) {
    setCasePriority(input: $input) {
      __typename
      ... on CaseUpdated {
        supportCase {
          id
          priority
          updatedAt
          firstResponseDueAt
          resolutionDueAt
          firstResponseBreached
          resolutionBreached
        }
      }
      ...ResultError
    }
  }
`);

export const ChangeCaseStatus = graphql(`
  mutation ChangeCaseStatus($input: ChangeCaseStatusInput!) {
    changeCaseStatus(input: $input) {
      __typename
      ... on CaseUpdated {
        supportCase {
          id
          status
          updatedAt
          firstResponseDueAt
          resolutionDueAt
          firstResponseBreached
          resolutionBreached
        }
      }
      ...ResultError
    }
  }
`);

export const ApproveRefund = graphql(`
  mutation ApproveRefund($input: ApproveRefundInput!) {
    approveRefund(input: $input) {
      __typename
      ... on RefundDecided {
        refund {
          id
          status
          approval
          decisionNote
          requiresAdminApproval
          updatedAt
          decidedBy {
            id
            name
          }
        }
      }
      ...ResultError
    }
  }
`);

export const RejectRefund = graphql(`
  mutation RejectRefund($input: RejectRefundInput!) {
    rejectRefund(input: $input) {
      __typename
      ... on RefundDecided {
        refund {
          id
          status
          approval
          decisionNote
          updatedAt
          decidedBy {
            id
            name
          }
        }
      }
      ...ResultError
    }
  }
`);

export const RetryRefund = graphql(`
  mutation RetryRefund($input: RetryRefundInput!) {
    retryRefund(input: $input) {
      __typename
      ... on RefundRetried {
        refund {
          id
          status
          attempt
          failureReason
          updatedAt
        }
      }
      ...ResultError
    }
  }
`);

export const MacroChoices = graphql(`
  query MacroChoices($after: String) {
    macros(first: 100, after: $after) {
      edges {
        node {
          id
          title
          needsOrder
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const PreviewMacro = graphql(`
  query PreviewMacro($caseId: ID!, $macroId: ID!) {
    macroPreview(caseId: $caseId, macroId: $macroId) {
      __typename
      ... on MacroPreview {
        renderedBody
      }
      ...ResultError
    }
  }
`);

export const ApplyMacro = graphql(`
  mutation ApplyMacro($input: ApplyMacroInput!) {
    applyMacro(input: $input) {
      __typename
      ... on MacroApplied {
        postedMessage {
          ...ThreadMessage
        }
        supportCase {
          id
          status
          updatedAt
          firstResponseBreached
          resolutionBreached
        }
      }
      ...ResultError
    }
  }
`);
