// The queue's filters live in the URL query string, so a reload or a shared link shows the same
// queue: ?status=OPEN&priority=URGENT&category=BILLING&assignee=mine&overdue=1&q=refund
//        &email=alice@example.com&order=%231001&from=2026-01-01&to=2026-01-31&sort=DUE_SOONEST
import type { CaseCategory, CasePriority, CaseSort, CaseStatus, SupportCaseFilter } from "../../../gql/graphql";
import { CATEGORY_LABEL } from "../../../lib/labels";
import { CASE_STATUS, PRIORITY } from "../../../ui/statuses";

export type AssigneeFilter = "anyone" | "mine" | "unassigned";

export interface QueueFilters {
  status: CaseStatus[];
  priority: CasePriority[];
  category: CaseCategory[];
  assignee: AssigneeFilter;
  overdue: boolean;
  /** Full text: words of the subject, messages and notes, an order or case number. */
  search: string;
  /** The customer's email (exact, any case). */
  email: string;
  /** An order's number (#1001) or id. */
  order: string;
  /** Opened on or after this day (yyyy-mm-dd, the browser's time zone). */
  from: string;
  /** Opened on or before this day (yyyy-mm-dd, inclusive). */
  to: string;
  sort: CaseSort;
}

export const STATUSES = Object.keys(CASE_STATUS) as CaseStatus[];
export const PRIORITIES = Object.keys(PRIORITY) as CasePriority[];
export const CATEGORIES = Object.keys(CATEGORY_LABEL) as CaseCategory[];

export const SORT_LABEL: Record<CaseSort, string> = {
  NEWEST: "Newest first",
  OLDEST: "Oldest first",
  DUE_SOONEST: "Due soonest",
};
export const SORTS = Object.keys(SORT_LABEL) as CaseSort[];

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function pick<T extends string>(values: string[], allowed: ReadonlyArray<T>): T[] {
  // Kept in the canonical order, without duplicates or unknown values from a hand-edited link.
  return allowed.filter((value) => values.includes(value));
}

function day(value: string | null): string {
  return value && DAY.test(value) && !Number.isNaN(Date.parse(value)) ? value : "";
}

export function readFilters(params: URLSearchParams): QueueFilters {
  const assignee = params.get("assignee");
  const sort = params.get("sort");
  return {
    status: pick(params.getAll("status"), STATUSES),
    priority: pick(params.getAll("priority"), PRIORITIES),
    category: pick(params.getAll("category"), CATEGORIES),
    assignee: assignee === "mine" || assignee === "unassigned" ? assignee : "anyone",
    overdue: params.get("overdue") === "1",
    search: params.get("q") ?? "",
    email: params.get("email") ?? "",
    order: params.get("order") ?? "",
    from: day(params.get("from")),
    to: day(params.get("to")),
    sort: SORTS.find((value) => value === sort) ?? "NEWEST",
  };
}

export function writeFilters(filters: QueueFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const status of filters.status) params.append("status", status);
  for (const priority of filters.priority) params.append("priority", priority);
  for (const category of filters.category) params.append("category", category);
  if (filters.assignee !== "anyone") params.set("assignee", filters.assignee);
  if (filters.overdue) params.set("overdue", "1");
  const search = filters.search.trim();
  if (search) params.set("q", search);
  const email = filters.email.trim();
  if (email) params.set("email", email);
  const order = filters.order.trim();
  if (order) params.set("order", order);
  if (day(filters.from)) params.set("from", filters.from);
  if (day(filters.to)) params.set("to", filters.to);
  if (filters.sort !== "NEWEST") params.set("sort", filters.sort);
  return params;
}

export function hasFilters(filters: QueueFilters): boolean {
  const params = writeFilters(filters);
  params.delete("sort"); // an order, not a filter
  return params.toString() !== "";
}

export const NO_FILTERS: Omit<QueueFilters, "sort"> = {
  status: [],
  priority: [],
  category: [],
  assignee: "anyone",
  overdue: false,
  search: "",
  email: "",
  order: "",
  from: "",
  to: "",
};

/** The start of a day (yyyy-mm-dd) in the browser's time zone, `plusDays` later, as ISO 8601. */
export function startOfDay(value: string, plusDays = 0): string {
  const [year, month, date] = value.split("-").map(Number) as [number, number, number];
  return new Date(year, month - 1, date + plusDays).toISOString();
}

/** The API's filter; nulls rather than empty lists so "no filter" reads the same every time. */
export function toApiFilter(filters: QueueFilters): SupportCaseFilter {
  const text = filters.search.trim();
  const email = filters.email.trim();
  const order = filters.order.trim();
  return {
    status: filters.status.length > 0 ? filters.status : null,
    priority: filters.priority.length > 0 ? filters.priority : null,
    category: filters.category.length > 0 ? filters.category : null,
    assignedToMe: filters.assignee === "mine" ? true : null,
    unassigned: filters.assignee === "unassigned" ? true : null,
    overdue: filters.overdue ? true : null,
    text: text || null,
    customerEmail: email || null,
    order: order || null,
    createdAfter: day(filters.from) ? startOfDay(filters.from) : null,
    // "to" is inclusive for people; the API's createdBefore is exclusive: the next day's start.
    createdBefore: day(filters.to) ? startOfDay(filters.to, 1) : null,
  };
}
