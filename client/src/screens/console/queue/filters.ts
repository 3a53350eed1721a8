// The queue's filters live in the URL query string, so a reload or a shared link shows the same
// queue: ?status=OPEN&status=IN_PROGRESS&priority=URGENT&assignee=mine&overdue=1&q=refund
import type { CasePriority, CaseStatus, SupportCaseFilter } from "../../../gql/graphql";
import { CASE_STATUS_LABEL, PRIORITY_LABEL } from "../../../lib/labels";

export type AssigneeFilter = "anyone" | "mine" | "unassigned";

export interface QueueFilters {
  status: CaseStatus[];
  priority: CasePriority[];
  assignee: AssigneeFilter;
  overdue: boolean;
  search: string;
}

export const STATUSES = Object.keys(CASE_STATUS_LABEL) as CaseStatus[];
export const PRIORITIES = Object.keys(PRIORITY_LABEL) as CasePriority[];

function pick<T extends string>(values: string[], allowed: ReadonlyArray<T>): T[] {
  // Kept in the canonical order, without duplicates or unknown values from a hand-edited link.
  return allowed.filter((value) => values.includes(value));
}

export function readFilters(params: URLSearchParams): QueueFilters {
  const assignee = params.get("assignee");
  return {
    status: pick(params.getAll("status"), STATUSES),
    priority: pick(params.getAll("priority"), PRIORITIES),
    assignee: assignee === "mine" || assignee === "unassigned" ? assignee : "anyone",
    overdue: params.get("overdue") === "1",
    search: params.get("q") ?? "",
  };
}

export function writeFilters(filters: QueueFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const status of filters.status) params.append("status", status);
  for (const priority of filters.priority) params.append("priority", priority);
  if (filters.assignee !== "anyone") params.set("assignee", filters.assignee);
  if (filters.overdue) params.set("overdue", "1");
  const search = filters.search.trim();
  if (search) params.set("q", search);
  return params;
}

export function hasFilters(filters: QueueFilters): boolean {
  return writeFilters(filters).toString() !== "";
}

/** The API's filter; nulls rather than empty lists so "no filter" reads the same every time. */
export function toApiFilter(filters: QueueFilters): SupportCaseFilter {
  const search = filters.search.trim();
  return {
    status: filters.status.length > 0 ? filters.status : null,
    priority: filters.priority.length > 0 ? filters.priority : null,
    assignedToMe: filters.assignee === "mine" ? true : null,
    unassigned: filters.assignee === "unassigned" ? true : null,
    overdue: filters.overdue ? true : null,
    search: search || null,
  };
}
