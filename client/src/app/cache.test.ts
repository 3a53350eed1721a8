import type { Cache } from "@urql/exchange-graphcache";
import schema from "../gql/introspection.json";
import { applyCaseEvent, embeddedTypeKeys } from "./cache";


function fakeCache(fields: Record<string, string[]>) {
  const invalidated: string[] = [];
  const cache = {
    keyOfEntity: (e: { __typename: string; id: string }) => `${e.__typename}:${e.id}`,
    inspectFields: (entity: string) =>
      (fields[entity] ?? []).map((fieldKey) => ({ fieldKey, fieldName: fieldKey.split("(")[0] ?? "", arguments: null })),
    invalidate: (entity: string, field: string) => invalidated.push(`${entity}.${field}`),
  } as unknown as Cache;
  return { cache, invalidated };
}

describe("normalized cache", () => {
  it("embeds exactly the types that have no id", () => {
    const keys = embeddedTypeKeys(schema.__schema.types);
    expect(Object.keys(keys)).toEqual(expect.arrayContaining(["Money", "PageInfo", "SupportCaseConnection", "NotFound", "OrderLine"]));
    expect(Object.keys(keys)).not.toContain("SupportCase");
    expect(Object.keys(keys)).not.toContain("Refund");
  });

  it("invalidates the lists a live event changes, and only those", () => {
    const fields = {
      "SupportCase:c1": ["timeline({\"first\":50})", "messages({\"first\":50})", "refundsConnection({\"first\":100})"],
      Query: ["supportCases({\"first\":25})", "refundQuote({\"orderId\":\"o\"})", "myOrders({\"first\":10})"],
    };
    const message = fakeCache(fields);
    applyCaseEvent(message.cache, { type: "MESSAGE_POSTED", supportCase: { id: "c1" } });
    expect(message.invalidated).toEqual([
      'SupportCase:c1.timeline({"first":50})',
      'SupportCase:c1.messages({"first":50})',
      'Query.supportCases({"first":25})',
    ]);

    const refund = fakeCache(fields);
    applyCaseEvent(refund.cache, { type: "REFUND_SUCCEEDED", supportCase: { id: "c1" } });
    expect(refund.invalidated).toContain('SupportCase:c1.refundsConnection({"first":100})');
    expect(refund.invalidated).toContain('Query.refundQuote({"orderId":"o"})');
    expect(refund.invalidated).not.toContain('Query.supportCases({"first":25})');
  });
});
