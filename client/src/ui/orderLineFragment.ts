import { graphql } from "../gql";

/** What an order line is shown with: the agent's order panel and the customer's refund-by-items
 * form select exactly this. */
export const OrderLineFields = graphql(`
  fragment OrderLineFields on OrderLine {
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
`);
