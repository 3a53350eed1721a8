import { formatMoney, minorDigits, parseAmount } from "./money";

describe("money", () => {
  it("formats in the order's own currency and minor units", () => {
    expect(formatMoney({ amount: 1999, currency: "USD" })).toContain("19.99");
    expect(formatMoney({ amount: 1200, currency: "JPY" })).toContain("1,200");
    expect(minorDigits("KWD")).toBe(3);
  });

  it("reads what people type, refusing what is not an amount of that currency", () => {
    expect(parseAmount("40", "USD")).toBe(4000);
    expect(parseAmount(" 1,040.5 ", "USD")).toBe(104050);
    expect(parseAmount("0.07", "USD")).toBe(7);
    expect(parseAmount("12.345", "USD")).toBeNull();
    expect(parseAmount("-3", "USD")).toBeNull();
    expect(parseAmount("ten", "USD")).toBeNull();
    expect(parseAmount("12.5", "JPY")).toBeNull();
    expect(parseAmount("1e3", "USD")).toBeNull();
  });
});
