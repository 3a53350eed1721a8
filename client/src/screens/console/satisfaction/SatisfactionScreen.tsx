// Customer satisfaction for agents and admins: the ratings customers gave resolved cases in a
// period, overall and per agent (the agent the case was assigned to when it was rated).
import { useMemo, useState } from "react";
import { useQuery } from "urql";
import type { SatisfactionRowFragment } from "../../../gql/graphql";
import { formatDateTime } from "../../../lib/time";
import { RequestError } from "../../../ui/ErrorNotice";
import "../console.css";
import { Satisfaction } from "./documents";

const PERIODS = [
  { days: 7, label: "Last 7 days" },
  { days: 30, label: "Last 30 days" },
  { days: 90, label: "Last 90 days" },
  { days: 365, label: "Last 365 days" },
] as const;

export function SatisfactionScreen() {
  const [days, setDays] = useState<number>(30);
  // The period starts when it is chosen (a new choice, a new period): stable variables.
  const since = useMemo(() => new Date(Date.now() - days * 86_400_000).toISOString(), [days]);
  const [result] = useQuery({ query: Satisfaction, variables: { since, until: null } });
  const report = result.data?.satisfactionReport;
  return (
    <main className="page console-page">
      <h1>Customer satisfaction</h1>
      <p className="muted">Ratings (1 to 5) that customers gave their resolved cases.</p>
      <label htmlFor="satisfaction-period">Period</label>
      <select id="satisfaction-period" value={days} onChange={(e) => setDays(Number(e.target.value))}>
        {PERIODS.map((p) => (
          <option key={p.days} value={p.days}>
            {p.label}
          </option>
        ))}
      </select>
      {result.error ? <RequestError error={result.error} /> : null}
      {!report ? (
        result.fetching ? <p className="muted">Loading the report…</p> : null
      ) : (
        <>
          <p className="muted small">
            {formatDateTime(report.since)} – {formatDateTime(report.until)}
          </p>
          <section className="card" aria-labelledby="overall-title" data-testid="satisfaction-overall">
            <h2 id="overall-title">All agents</h2>
            <Summary row={report.overall} />
            <Distribution row={report.overall} />
          </section>
          <section className="card" aria-labelledby="agents-title">
            <h2 id="agents-title">Per agent</h2>
            {report.agents.length === 0 ? (
              <p className="muted">No ratings in this period.</p>
            ) : (
              <table className="satisfaction-table">
                <thead>
                  <tr>
                    <th scope="col">Agent</th>
                    <th scope="col">Ratings</th>
                    <th scope="col">Average</th>
                    {[1, 2, 3, 4, 5].map((score) => (
                      <th scope="col" key={score}>
                        {score}★
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {report.agents.map((row) => (
                    <tr key={row.agent?.id ?? "unassigned"}>
                      <th scope="row">{row.agent?.name ?? "Unassigned cases"}</th>
                      <td>{row.count}</td>
                      <td>{formatAverage(row.average)}</td>
                      {row.distribution.map((cell) => (
                        <td key={cell.score}>{cell.count}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </main>
  );
}

export function formatAverage(average: number | null): string {
  return average === null ? "–" : `${average.toFixed(2)} / 5`;
}

function Summary({ row }: { row: SatisfactionRowFragment }) {
  return (
    <p className="satisfaction-summary">
      <strong>{formatAverage(row.average)}</strong> from {row.count} {row.count === 1 ? "rating" : "ratings"}
    </p>
  );
}

function Distribution({ row }: { row: SatisfactionRowFragment }) {
  const most = Math.max(1, ...row.distribution.map((cell) => cell.count));
  return (
    <ul className="distribution" aria-label="Ratings by score">
      {[...row.distribution].reverse().map((cell) => (
        <li key={cell.score}>
          <span className="distribution-label">{cell.score}★</span>
          <meter className="distribution-bar" min={0} max={most} value={cell.count} />
          <span className="distribution-count">{cell.count}</span>
        </li>
      ))}
    </ul>
  );
}
