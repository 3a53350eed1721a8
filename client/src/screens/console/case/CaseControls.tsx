// Assign, priority and status: each a labelled select with its own button, so a stray arrow key
// on a select never changes a case, and each shows its own error where it happened.
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import type { CasePriority, CaseStatus, CaseWorkFragment } from "../../../gql/graphql";
import { RequestError, ResultErrors } from "../../../ui/ErrorNotice";
import { CASE_STATUS, PRIORITY } from "../../../ui/statuses";
import { PRIORITIES } from "../queue/filters";
import { AgentList, AssignCase, ChangeCaseStatus, SetCasePriority } from "./documents";

/** The case status machine (DOMAIN.md): where a case can go from each status. */
export const NEXT_STATUSES: Record<CaseStatus, ReadonlyArray<CaseStatus>> = {
  OPEN: ["IN_PROGRESS", "RESOLVED"],
  IN_PROGRESS: ["WAITING_ON_CUSTOMER", "RESOLVED"],
  WAITING_ON_CUSTOMER: ["IN_PROGRESS", "RESOLVED"],
  RESOLVED: ["OPEN", "CLOSED"],
  CLOSED: [],
};

const STATUS_ACTION: Record<CaseStatus, string> = {
  OPEN: "Reopen (Open)",
  IN_PROGRESS: "In progress",
  WAITING_ON_CUSTOMER: "Waiting on customer",
  RESOLVED: "Resolved",
  CLOSED: "Closed",
};

export function CaseControls({ supportCase, viewerId }: { supportCase: CaseWorkFragment; viewerId: string }) {
  return (
    <section className="card case-controls" aria-labelledby="controls-title">
      <h2 id="controls-title">Work the case</h2>
      <AssignControl supportCase={supportCase} viewerId={viewerId} />
      <PriorityControl supportCase={supportCase} />
      <StatusControl supportCase={supportCase} />
    </section>
  );
}

function AssignControl({ supportCase, viewerId }: { supportCase: CaseWorkFragment; viewerId: string }) {
  const [agents] = useQuery({ query: AgentList });
  const [result, assign] = useMutation(AssignCase);
  const current = supportCase.assignee?.id ?? "";
  const [choice, setChoice] = useState<string | null>(null);
  const value = choice ?? current;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const answer = await assign({ input: { caseId: supportCase.id, assigneeId: value || null } });
    if (answer.data?.assignCase.__typename === "CaseUpdated") setChoice(null);
  }

  const others = (agents.data?.agentsConnection.edges.map((edge) => edge.node) ?? []).filter((agent) => agent.id !== viewerId);
  // The current assignee may not be in the list (deactivated since): still show who it is.
  const unknownCurrent =
    supportCase.assignee && supportCase.assignee.id !== viewerId && !others.some((a) => a.id === current)
      ? supportCase.assignee
      : null;
  return (
    <form className="control" onSubmit={submit}>
      <label htmlFor="case-assignee">Assignee</label>
      <div className="control-row">
        <select id="case-assignee" value={value} onChange={(e) => setChoice(e.target.value)}>
          <option value="">Unassigned</option>
          <option value={viewerId}>Me</option>
          {unknownCurrent ? <option value={unknownCurrent.id}>{unknownCurrent.name}</option> : null}
          {others.map((agent) => (
            <option key={agent.id} value={agent.id}>
              {agent.name}
              {agent.role === "ADMIN" ? " (admin)" : ""}
            </option>
          ))}
        </select>
        <button type="submit" disabled={value === current || result.fetching}>
          {result.fetching ? "Assigning…" : "Assign"}
        </button>
      </div>
      {agents.error ? <RequestError error={agents.error} /> : null}
      <ResultErrors result={result.data?.assignCase} error={result.error} />
    </form>
  );
}

function PriorityControl({ supportCase }: { supportCase: CaseWorkFragment }) {
  const [result, setPriority] = useMutation(SetCasePriority);
  const [choice, setChoice] = useState<CasePriority | null>(null);
  const value = choice ?? supportCase.priority;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const answer = await setPriority({ input: { caseId: supportCase.id, priority: value } });
    if (answer.data?.setCasePriority.__typename === "CaseUpdated") setChoice(null);
  }

  return (
    <form className="control" onSubmit={submit}>
      <label htmlFor="case-priority">Priority</label>
      <div className="control-row">
        <select id="case-priority" value={value} onChange={(e) => setChoice(e.target.value as CasePriority)}>
          {PRIORITIES.map((priority) => (
            <option key={priority} value={priority}>
              {PRIORITY[priority].label}
            </option>
          ))}
        </select>
        <button type="submit" disabled={value === supportCase.priority || result.fetching}>
          {result.fetching ? "Saving…" : "Set priority"}
        </button>
      </div>
      <p className="muted small">Changing the priority recomputes the SLA due times.</p>
      <ResultErrors result={result.data?.setCasePriority} error={result.error} />
    </form>
  );
}

function StatusControl({ supportCase }: { supportCase: CaseWorkFragment }) {
  const [result, change] = useMutation(ChangeCaseStatus);
  const targets = NEXT_STATUSES[supportCase.status];
  const [choice, setChoice] = useState<CaseStatus | "">("");
  const value = choice !== "" && targets.includes(choice) ? choice : "";

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!value) return;
    const answer = await change({ input: { caseId: supportCase.id, status: value } });
    if (answer.data?.changeCaseStatus.__typename === "CaseUpdated") setChoice("");
  }

  return (
    <form className="control" onSubmit={submit}>
      {targets.length === 0 ? (
        <p className="control-static">
          <strong>Status</strong>
          <span className="muted small">{CASE_STATUS[supportCase.status].label}: a closed case cannot change any more.</span>
        </p>
      ) : (
        <>
        <label htmlFor="case-status">Status</label>
        <div className="control-row">
          <select id="case-status" value={value} onChange={(e) => setChoice(e.target.value as CaseStatus | "")}>
            <option value="">Move to…</option>
            {targets.map((status) => (
              <option key={status} value={status}>
                {STATUS_ACTION[status]}
              </option>
            ))}
          </select>
          <button type="submit" disabled={!value || result.fetching}>
            {result.fetching ? "Saving…" : "Change status"}
          </button>
        </div>
        </>
      )}
      <ResultErrors result={result.data?.changeCaseStatus} error={result.error} />
    </form>
  );
}
