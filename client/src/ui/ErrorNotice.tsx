// Every error type of every result union has its place: a human sentence where the action was,
// never a blank screen. The server's `message` is written to be shown; the extras of each type
// (fields, wait time, denial) are rendered beside it.
import type { CombinedError } from "urql";
import type { RatingDenial, RefundDenial } from "../gql/graphql";
import { RATING_DENIAL_LABEL, REFUND_DENIAL_LABEL } from "../lib/labels";

/** The error members of the API's result unions, as the screens select them. */
export type ResultError =
  | { __typename: "ValidationFailed"; message: string; fields: ReadonlyArray<{ field: string; message: string }> }
  | { __typename: "RateLimited"; message: string; retryAfterSeconds: number }
  | { __typename: "RefundNotAllowed"; message: string; denial: RefundDenial }
  | { __typename: "RatingNotAllowed"; message: string; ratingDenial: RatingDenial }
  | {
      __typename:
        | "NotFound"
        | "Conflict"
        | "InvalidTransition"
        | "ApprovalLimitExceeded"
        | "InvalidCredentials"
        | "InvalidRefreshToken"
        | "OrderUnavailable"
        | "IdempotencyKeyReused";
      message: string;
    };

const TITLES: Record<ResultError["__typename"], string> = {
  ValidationFailed: "Please check the form",
  RateLimited: "Too many attempts",
  RefundNotAllowed: "Refund not possible",
  RatingNotAllowed: "Rating not possible",
  NotFound: "Not found",
  Conflict: "Someone else changed this first",
  InvalidTransition: "Not possible in the current state",
  ApprovalLimitExceeded: "Above your approval limit",
  InvalidCredentials: "Login failed",
  InvalidRefreshToken: "Session ended",
  OrderUnavailable: "Order system unavailable",
  IdempotencyKeyReused: "Already sent differently",
};

const HINTS: Partial<Record<ResultError["__typename"], string>> = {
  Conflict: "Reload to see the latest version, then try again.",
  ApprovalLimitExceeded: "An admin can approve this refund.",
  OrderUnavailable: "Nothing was saved. Try again in a moment.",
  IdempotencyKeyReused: "Change something or start over to send a new request.",
};

export function ErrorNotice({ error }: { error: ResultError }) {
  const hint = HINTS[error.__typename];
  return (
    <div role="alert" className="notice notice-error">
      <strong>{TITLES[error.__typename]}.</strong> {detail(error)}
      {hint ? <span className="notice-hint"> {hint}</span> : null}
    </div>
  );
}

function detail(error: ResultError): React.ReactNode {
  switch (error.__typename) {
    case "ValidationFailed":
      // The server's message sums up the fields ("Invalid input: amount: …"): with the fields at
      // hand, list them instead, so each is said once.
      return error.fields.length > 0 ? (
        <ul className="field-errors">
          {error.fields.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      ) : (
        error.message
      );
    case "RateLimited":
      return `${error.message} Try again in ${error.retryAfterSeconds} s.`;
    case "RefundNotAllowed":
      return REFUND_DENIAL_LABEL[error.denial] ?? error.message;
    case "RatingNotAllowed":
      return RATING_DENIAL_LABEL[error.ratingDenial] ?? error.message;
    default:
      return error.message;
  }
}

/** Transport or top-level GraphQL errors (network down, session ended, server error). */
export function RequestError({ error }: { error: CombinedError }) {
  const text = error.networkError
    ? "The server cannot be reached. Check your connection; we will keep trying."
    : (error.graphQLErrors[0]?.message ?? "Something went wrong.");
  return (
    <div role="alert" className="notice notice-error">
      {text}
    </div>
  );
}

/**
 * Whatever went wrong with an action, where the action is: the error member of its result (if the
 * result is one) and the request's own error.
 */
export function ResultErrors({
  result,
  error,
}: {
  result: { __typename: string } | null | undefined;
  error: CombinedError | undefined;
}) {
  const failure = asResultError(result);
  return (
    <>
      {failure ? <ErrorNotice error={failure} /> : null}
      {error ? <RequestError error={error} /> : null}
    </>
  );
}

/** The first error member of a mutation's result, if the result is one. */
export function asResultError(result: { __typename: string } | null | undefined): ResultError | null {
  if (!result) return null;
  return result.__typename in TITLES ? (result as ResultError) : null;
}
