import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { fakeApi, withProviders } from "../../../test/fakeApi";
import { SatisfactionScreen, formatAverage } from "./SatisfactionScreen";

const dist = (...counts: number[]) => counts.map((count, i) => ({ __typename: "ScoreCount", score: i + 1, count }));

const REPORT = {
  satisfactionReport: {
    __typename: "SatisfactionReport",
    since: "2026-11-01T00:00:00Z",
    until: "2026-12-01T00:00:00Z",
    overall: { __typename: "Satisfaction", count: 4, average: 3.75, distribution: dist(0, 1, 0, 2, 1) },
    agents: [
      {
        __typename: "Satisfaction",
        agent: { __typename: "User", id: "a1", name: "Alex Agent" },
        count: 3,
        average: 4.33,
        distribution: dist(0, 0, 0, 2, 1),
      },
      { __typename: "Satisfaction", agent: null, count: 1, average: 2, distribution: dist(0, 1, 0, 0, 0) },
    ],
  },
};

describe("SatisfactionScreen", () => {
  it("shows the overall average and one row per agent, and asks again for another period", async () => {
    const api = fakeApi(() => REPORT);
    render(withProviders(api, <SatisfactionScreen />));
    expect(await screen.findByTestId("satisfaction-overall")).toHaveTextContent("3.75 / 5 from 4 ratings");
    const rows = within(screen.getByRole("table")).getAllByRole("row");
    expect(rows.map((row) => row.textContent)).toEqual([
      "AgentRatingsAverage1★2★3★4★5★",
      "Alex Agent34.33 / 500021",
      "Unassigned cases12.00 / 501000",
    ]);
    const first = api.lastQuery("Satisfaction");
    await userEvent.selectOptions(screen.getByLabelText("Period"), "7");
    const second = api.lastQuery("Satisfaction");
    expect(Date.parse(String(second?.since))).toBeGreaterThan(Date.parse(String(first?.since)));
    expect(formatAverage(null)).toBe("–");
  });
});
