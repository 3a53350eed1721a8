// SLA due times as people say them ("due in 2 h", "overdue 15 min"), red when late.
import type { CaseSlaFragment, CaseStatus } from "../../../gql/graphql";
import { describeDue } from "../../../lib/time";

export interface SlaLine {
  key: "first" | "resolution";
  label: string;
  text: string;
  late: boolean;
}

const OPEN_STATES: ReadonlySet<CaseStatus> = new Set<CaseStatus>(["OPEN", "IN_PROGRESS", "WAITING_ON_CUSTOMER"]);

/**
 * What to show of a case's SLA. The first-response clock matters only until an agent has replied
 * publicly (`awaitingFirstReply`); the resolution clock while the case is open. While the case
 * waits on the customer the clock stands still, so a countdown would be wrong: say it is paused.
 */
export function slaLines(sla: CaseSlaFragment, now: number, awaitingFirstReply: boolean): SlaLine[] {
  if (!OPEN_STATES.has(sla.status)) {
    return [
      {
        key: "resolution",
        label: "Resolution",
        text: sla.resolutionBreached ? "resolved late" : "met",
        late: sla.resolutionBreached,
      },
    ];
  }
  const paused = sla.status === "WAITING_ON_CUSTOMER";
  const lines: SlaLine[] = [];
  if (awaitingFirstReply) {
    const due = describeDue(sla.firstResponseDueAt, now);
    lines.push({
      key: "first",
      label: "First reply",
      text: paused ? "paused (waiting on customer)" : due.text,
      late: sla.firstResponseBreached || (!paused && due.overdue),
    });
  }
  const due = describeDue(sla.resolutionDueAt, now);
  lines.push({
    key: "resolution",
    label: "Resolution",
    text: paused ? (sla.resolutionBreached ? "overdue, paused (waiting on customer)" : "paused (waiting on customer)") : due.text,
    late: sla.resolutionBreached || (!paused && due.overdue),
  });
  return lines;
}

export function SlaList({ lines, className }: { lines: ReadonlyArray<SlaLine>; className?: string }) {
  return (
    <ul className={`sla-list ${className ?? ""}`}>
      {lines.map((line) => (
        <li key={line.key} className={line.late ? "sla sla-late" : "sla"} data-testid={`sla-${line.key}`}>
          <span className="sla-label">{line.label}:</span> <span className="sla-value">{line.text}</span>
          {line.late ? <span className="visually-hidden"> (late)</span> : null}
        </li>
      ))}
    </ul>
  );
}
