// The customer's rating of a resolved case: once, 1 to 5 with an optional comment, until the
// rating window ends. After rating, the form becomes a thank-you with what they gave.
import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import type { RatedCaseFragment } from "../../../gql/graphql";
import { formatDateTime } from "../../../lib/time";
import { ResultErrors } from "../../../ui/ErrorNotice";
import { RateCase } from "./documents";

const SCORES = [
  { score: 1, label: "1 – Very unhappy" },
  { score: 2, label: "2 – Unhappy" },
  { score: 3, label: "3 – Okay" },
  { score: 4, label: "4 – Happy" },
  { score: 5, label: "5 – Very happy" },
] as const;

export function RatingForm({ supportCase, now }: { supportCase: RatedCaseFragment; now: number }) {
  const [score, setScore] = useState<number | null>(null);
  const [comment, setComment] = useState("");
  const [result, rate] = useMutation(RateCase);

  const given = supportCase.satisfaction;
  if (given) {
    return (
      <section className="card rating" aria-labelledby="rating-title" data-testid="rating">
        <h2 id="rating-title">Your rating</h2>
        <p>
          <strong>{given.score} / 5</strong> · {formatDateTime(given.ratedAt)}
        </p>
        {given.comment ? <p className="msg-body">{given.comment}</p> : null}
        <p className="muted small">Thank you for telling us.</p>
      </section>
    );
  }
  const ends = supportCase.ratingWindowEndsAt;
  if (ends === null || Date.parse(ends) < now) return null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (score === null) return;
    await rate({ input: { caseId: supportCase.id, score, comment: comment.trim() === "" ? null : comment } });
  }

  return (
    <form className="card rating" onSubmit={submit} aria-labelledby="rating-title" data-testid="rating">
      <h2 id="rating-title">How did we do?</h2>
      <p className="muted small">You can rate this case once, until {formatDateTime(ends)}.</p>
      <fieldset>
        <legend>Your rating</legend>
        {SCORES.map((option) => (
          <label key={option.score} className="checkbox rating-option">
            <input
              type="radio"
              name="rating-score"
              value={option.score}
              checked={score === option.score}
              onChange={() => setScore(option.score)}
            />
            {option.label}
          </label>
        ))}
      </fieldset>
      <label htmlFor="rating-comment">Anything you want to add? (optional)</label>
      <textarea id="rating-comment" maxLength={1000} value={comment} onChange={(e) => setComment(e.target.value)} />
      <ResultErrors result={result.data?.rateCase} error={result.error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={score === null || result.fetching}>
          {result.fetching ? "Sending…" : "Send rating"}
        </button>
      </div>
    </form>
  );
}
