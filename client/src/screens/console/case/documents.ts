import { graphql } from "../../../gql";

// What the order panel shows of the case's order.
export const CaseOrderFields = graphql(`
  fragment CaseOrder on Order {
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
      ...OrderLineFields
    }
  }
`);

// What the refunds card shows of a refund; every decision selects the same, so the cache stays whole.
export const AgentRefundFields = graphql(`
  fragment AgentRefund on Refund {
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
`);

export const AgentCase = graphql(`
  query AgentCase($id: ID!) {
    supportCase(id: $id) {
      ...CaseWork
      number
      subject
      description
      category
      createdAt
      satisfaction {
        score
        comment
      }
      customer {
        id
        name
        email
      }
      order {
        ...CaseOrder
      }
      refunds: refundsConnection(first: 100) {
        totalCount
        edges {
          node {
            ...AgentRefund
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
          ...ThreadMessage
        }
        supportCase {
          id
          updatedAt
          ...CaseSla
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
          ...CaseWork
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
          ...CaseWork
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
          ...CaseWork
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
          ...AgentRefund
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
          ...AgentRefund
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
          ...AgentRefund
        }
      }
      ...ResultError
    }
  }
`);

export const MacroChoices = graphql(`
  query MacroChoices {
    macros(first: 100) {
      edges {
        node {
          id
          title
          needsOrder
        }
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
          updatedAt
          ...CaseSla
        }
      }
      ...ResultError
    }
  }
`);
