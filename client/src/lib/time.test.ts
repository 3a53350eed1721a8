import { describeDue, shortSpan } from "./time";

const NOW = Date.parse("2026-12-02T12:00:00Z");

describe("relative times", () => {
  it("says when something is due, or how late it is", () => {
    expect(describeDue("2026-12-02T14:00:00Z", NOW)).toEqual({ text: "due in 2 h", overdue: false });
    expect(describeDue("2026-12-02T11:45:00Z", NOW)).toEqual({ text: "overdue 15 min", overdue: true });
    expect(describeDue("2026-12-02T12:00:20Z", NOW).text).toBe("due in less than a minute");
  });

  it("keeps spans short", () => {
    expect(shortSpan(90 * 60_000)).toBe("1 h 30 min");
    expect(shortSpan(11 * 3_600_000)).toBe("11 h");
    expect(shortSpan(3 * 86_400_000)).toBe("3 d");
  });
});
