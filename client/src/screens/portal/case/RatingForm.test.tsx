import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { RatedCaseFragment } from "../../../gql/graphql";
import { fakeApi, HOUR, withProviders } from "../../../test/fakeApi";
import { RatingForm } from "./RatingForm";

const NOW = Date.now();
const RESOLVED: RatedCaseFragment = {
  __typename: "SupportCase",
  id: "case-1",
  status: "RESOLVED",
  ratingWindowEndsAt: new Date(NOW + 48 * HOUR).toISOString(),
  satisfaction: null,
};

describe("RatingForm", () => {
  it("sends a score and a comment, and shows a refusal in words", async () => {
    const refused = {
      __typename: "RatingNotAllowed",
      message: "This case has already been rated.",
      code: "RATING_NOT_ALLOWED",
      ratingDenial: "ALREADY_RATED",
    };
    const api = fakeApi(() => ({ rateCase: refused }));
    render(withProviders(api, <RatingForm supportCase={RESOLVED} now={NOW} />, { role: "CUSTOMER" }));
    expect(screen.getByRole("button", { name: "Send rating" })).toBeDisabled();
    await userEvent.click(screen.getByLabelText("4 – Happy"));
    await userEvent.type(screen.getByLabelText(/Anything you want to add/), "Quick answer");
    await userEvent.click(screen.getByRole("button", { name: "Send rating" }));
    await waitFor(() => expect(api.mutations).toHaveLength(1));
    expect(api.mutations[0]?.variables.input).toEqual({ caseId: "case-1", score: 4, comment: "Quick answer" });
    expect(await screen.findByRole("alert")).toHaveTextContent("Rating not possible. This case has already been rated.");
  });

  it("shows the rating once given, and nothing once the window has closed", () => {
    const api = fakeApi(() => null);
    const rated: RatedCaseFragment = {
      ...RESOLVED,
      satisfaction: { __typename: "CaseRating", score: 5, comment: "Great", ratedAt: new Date(NOW).toISOString() },
    };
    const { unmount } = render(withProviders(api, <RatingForm supportCase={rated} now={NOW} />, { role: "CUSTOMER" }));
    expect(screen.getByTestId("rating")).toHaveTextContent("5 / 5");
    expect(screen.getByTestId("rating")).toHaveTextContent("Great");
    unmount();
    const late = { ...RESOLVED, ratingWindowEndsAt: new Date(NOW - HOUR).toISOString() };
    render(withProviders(api, <RatingForm supportCase={late} now={NOW} />, { role: "CUSTOMER" }));
    expect(screen.queryByTestId("rating")).toBeNull();
  });
});
