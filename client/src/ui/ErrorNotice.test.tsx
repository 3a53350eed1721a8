import { render, screen } from "@testing-library/react";
import schema from "../gql/introspection.json";
import { ErrorNotice, asResultError, type ResultError } from "./ErrorNotice";

/** Every type of the schema that implements `Error`: each needs a place on screen. */
const errorTypes = schema.__schema.types
  .filter((t) => t.kind === "OBJECT" && t.interfaces?.some((i) => i.name === "Error"))
  .map((t) => t.name);

describe("ErrorNotice", () => {
  it.each(errorTypes)("shows %s as a human message", (typename) => {
    const error = {
      __typename: typename,
      message: `Server says ${typename}.`,
      fields: [{ field: "amount", message: "must be positive" }],
      retryAfterSeconds: 30,
      denial: "OUTSIDE_REFUND_WINDOW",
    } as unknown as ResultError;
    expect(asResultError(error)).not.toBeNull();
    render(<ErrorNotice error={error} />);
    const alert = screen.getByRole("alert");
    expect(alert.textContent?.length).toBeGreaterThan(10);
  });

  it("lists the refused fields, each once (the message only sums them up)", () => {
    render(
      <ErrorNotice
        error={{
          __typename: "ValidationFailed",
          message: "Invalid input: amount: too big",
          fields: [{ field: "amount", message: "too big" }],
        }}
      />,
    );
    const alert = screen.getByRole("alert");
    expect(alert).toHaveTextContent("Please check the form. amount: too big");
    expect(alert.textContent?.match(/too big/g)).toHaveLength(1);
  });

  it("tells a success from an error", () => {
    expect(asResultError({ __typename: "MessagePosted" })).toBeNull();
  });
});
