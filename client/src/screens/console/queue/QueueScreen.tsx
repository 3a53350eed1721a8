import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { useQuery } from "urql";
import type { AgentQueueQuery } from "../../../gql/graphql";
import { CATEGORY_LABEL } from "../../../lib/labels";
import { ago, formatDateTime } from "../../../lib/time";
import { useSession } from "../../../session/SessionContext";
import { StatusBadge } from "../../../ui/Badge";
import { RequestError } from "../../../ui/ErrorNotice";
import { Pager } from "../../../ui/Pager";
import { CASE_STATUS, PRIORITY } from "../../../ui/statuses";
import { useNow } from "../../../ui/useNow";
import { SlaList, slaLines } from "../shared/sla";
import "../console.css";
import { AgentQueue } from "./documents";
import {
  CATEGORIES,
  NO_FILTERS,
  PRIORITIES,
  SORTS,
  SORT_LABEL,
  STATUSES,
  hasFilters,
  readFilters,
  toApiFilter,
  writeFilters,
  type AssigneeFilter,
  type QueueFilters,
} from "./filters";
import { LiveActivity, useLiveActivity } from "./LiveActivity";

export const QUEUE_PAGE_SIZE = 25;
const SEARCH_DELAY_MS = 350;

type QueueCase = AgentQueueQuery["supportCases"]["edges"][number]["node"];

export function QueueScreen() {
  const now = useNow();
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => readFilters(params), [params]);
  const filterKey = writeFilters(filters).toString();
  const apiFilter = useMemo(() => toApiFilter(readFilters(new URLSearchParams(filterKey))), [filterKey]);
  const sort = filters.sort;

  // The page cursor belongs to one set of filters: changing a filter goes back to the first page.
  const [page, setPage] = useState<{ key: string; after: string | null }>({ key: filterKey, after: null });
  const after = page.key === filterKey ? page.after : null;

  const [result] = useQuery({
    query: AgentQueue,
    variables: { first: QUEUE_PAGE_SIZE, after, filter: apiFilter, sort },
  });
  const activity = useLiveActivity();

  // Two changes can come in one event loop turn (leaving the Order box by picking a sort commits
  // both): each builds on the one before, not on the filters of the last render.
  const latest = useRef(filters);
  latest.current = filters;
  const update = useCallback(
    (next: Partial<QueueFilters>, replace = false) => {
      const merged = { ...latest.current, ...next };
      latest.current = merged;
      setParams(writeFilters(merged), { replace });
    },
    [setParams],
  );

  const cases = result.data?.supportCases;
  const rows = cases?.edges.map((edge) => edge.node) ?? [];
  return (
    <main className="page console-page">
      <div className="card-head">
        <h1>Queue</h1>
        {cases ? (
          <span className="muted small" role="status">
            {cases.totalCount === 1 ? "1 case" : `${cases.totalCount} cases`}
            {after ? ` (showing ${rows.length} of a later page)` : ""}
          </span>
        ) : null}
      </div>
      <div className="console-layout">
        <div className="console-main">
          <FilterBar filters={filters} onChange={update} />
          <section className="card" aria-labelledby="queue-title" aria-busy={result.fetching}>
            <h2 id="queue-title" className="visually-hidden">
              Cases
            </h2>
            {result.error ? <RequestError error={result.error} /> : null}
            {!cases && result.fetching ? <p className="muted">Loading cases…</p> : null}
            {cases && rows.length === 0 ? (
              <div className="empty">
                <p>No cases match these filters.</p>
                {hasFilters(filters) ? (
                  <button type="button" onClick={() => setParams(writeFilters({ ...NO_FILTERS, sort }))}>
                    Clear all filters
                  </button>
                ) : null}
              </div>
            ) : null}
            {rows.length > 0 ? (
              <div className="queue-wrap">
                <QueueTable rows={rows} now={now} />
              </div>
            ) : null}
            <Pager pageInfo={cases?.pageInfo} after={after} onPage={(next) => setPage({ key: filterKey, after: next })} />
          </section>
        </div>
        <aside className="console-side">
          <LiveActivity items={activity.items} ready={activity.ready} now={now} />
        </aside>
      </div>
    </main>
  );
}

function FilterBar({
  filters,
  onChange: apply,
}: {
  filters: QueueFilters;
  onChange: (next: Partial<QueueFilters>, replace?: boolean) => void;
}) {
  const [search, setSearch] = useState(filters.search);
  const typed = useRef(filters.search);
  const [email, setEmail] = useState(filters.email);
  const [order, setOrder] = useState(filters.order);
  // What the customer and order boxes show applies with any other change (a sort, a checkbox).
  const onChange = useCallback(
    (next: Partial<QueueFilters>, replace = false) => apply({ email, order, ...next }, replace),
    [apply, email, order],
  );
  // On a phone the filters fold away under their summary; on a desk they stay open.
  const [expanded, setExpanded] = useState(() => !window.matchMedia?.("(max-width: 640px)").matches);
  const active =
    filters.status.length +
    filters.priority.length +
    filters.category.length +
    (filters.assignee !== "anyone" ? 1 : 0) +
    (filters.overdue ? 1 : 0) +
    (filters.email ? 1 : 0) +
    (filters.order ? 1 : 0) +
    (filters.from || filters.to ? 1 : 0);

  // The URL changed by itself: show its customer and order filters.
  useEffect(() => setEmail(filters.email), [filters.email]);
  useEffect(() => setOrder(filters.order), [filters.order]);

  // The URL changed by itself (back button, a link): show its search text.
  useEffect(() => {
    if (filters.search !== typed.current.trim()) {
      typed.current = filters.search;
      setSearch(filters.search);
    }
  }, [filters.search]);

  // Typing searches after a short pause; each keystroke is not worth a request or a history entry.
  useEffect(() => {
    if (search.trim() === filters.search) return;
    const timer = setTimeout(() => onChange({ search }, true), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search, filters.search, onChange]);

  function submit(event: FormEvent) {
    event.preventDefault();
    onChange({ search, email, order });
  }

  /** The customer and order boxes apply when left (or with the Search button / Enter). */
  function commitText() {
    if (email.trim() !== filters.email || order.trim() !== filters.order) onChange({ email, order });
  }

  return (
    <form className="card filters" role="search" aria-label="Filter cases" onSubmit={submit}>
      <div className="filters-search">
        <label htmlFor="queue-search">Search</label>
        <div className="filters-search-row">
          <input
            id="queue-search"
            type="search"
            placeholder="Words from the subject, messages or notes; an order or case number"
            value={search}
            onChange={(e) => {
              typed.current = e.target.value;
              setSearch(e.target.value);
            }}
          />
          <button type="submit">Search</button>
          <label htmlFor="queue-sort" className="visually-hidden">
            Sort
          </label>
          <select id="queue-sort" value={filters.sort} onChange={(e) => onChange({ sort: e.target.value as QueueFilters["sort"] })}>
            {SORTS.map((value) => (
              <option key={value} value={value}>
                {SORT_LABEL[value]}
              </option>
            ))}
          </select>
        </div>
      </div>
      <details
        className="filters-more"
        open={expanded}
        onToggle={(e) => setExpanded((e.currentTarget as HTMLDetailsElement).open)}
      >
        <summary>
          Filters{active > 0 ? ` (${active} active)` : ""}
        </summary>
        <div className="filters-grid">
      <ChipGroup
        legend="Status"
        values={STATUSES}
        label={(status) => CASE_STATUS[status].label}
        chosen={filters.status}
        onChange={(status) => onChange({ status })}
      />
      <ChipGroup
        legend="Priority"
        values={PRIORITIES}
        label={(priority) => PRIORITY[priority].label}
        chosen={filters.priority}
        onChange={(priority) => onChange({ priority })}
      />
      <ChipGroup
        legend="Category"
        values={CATEGORIES}
        label={(category) => CATEGORY_LABEL[category]}
        chosen={filters.category}
        onChange={(category) => onChange({ category })}
      />
      <div className="filter-inline filter-fields">
        <div>
          <label htmlFor="queue-email">Customer email</label>
          <input
            id="queue-email"
            type="email"
            placeholder="alice@example.com"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            onBlur={commitText}
          />
        </div>
        <div>
          <label htmlFor="queue-order">Order</label>
          <input
            id="queue-order"
            placeholder="#1001"
            value={order}
            onChange={(e) => setOrder(e.target.value)}
            onBlur={commitText}
          />
        </div>
        <div>
          <label htmlFor="queue-from">Opened from</label>
          <input id="queue-from" type="date" value={filters.from} max={filters.to || undefined} onChange={(e) => onChange({ from: e.target.value })} />
        </div>
        <div>
          <label htmlFor="queue-to">Opened until</label>
          <input id="queue-to" type="date" value={filters.to} min={filters.from || undefined} onChange={(e) => onChange({ to: e.target.value })} />
        </div>
      </div>
      <div className="filter-inline">
        <div>
          <label htmlFor="queue-assignee">Assignee</label>
          <select
            id="queue-assignee"
            value={filters.assignee}
            onChange={(e) => onChange({ assignee: e.target.value as AssigneeFilter })}
          >
            <option value="anyone">Anyone</option>
            <option value="mine">Assigned to me</option>
            <option value="unassigned">Unassigned</option>
          </select>
        </div>
        <label className="checkbox chip overdue-toggle">
          <input type="checkbox" checked={filters.overdue} onChange={(e) => onChange({ overdue: e.target.checked })} />
          Overdue only
        </label>
        {hasFilters(filters) ? (
          <button
            type="button"
            className="link"
            onClick={() => {
              typed.current = "";
              setSearch("");
              setEmail("");
              setOrder("");
              onChange(NO_FILTERS);
            }}
          >
            Clear filters
          </button>
        ) : null}
      </div>
        </div>
      </details>
    </form>
  );
}

/** One filter as a group of chips: which of the values are chosen (none: any). */
function ChipGroup<T extends string>({
  legend,
  values,
  label,
  chosen,
  onChange,
}: {
  legend: string;
  values: ReadonlyArray<T>;
  label: (value: T) => string;
  chosen: ReadonlyArray<T>;
  onChange: (chosen: T[]) => void;
}) {
  return (
    <fieldset className="filter-group">
      <legend>{legend}</legend>
      {values.map((value) => (
        <label key={value} className="checkbox chip">
          <input
            type="checkbox"
            checked={chosen.includes(value)}
            onChange={(e) => onChange(e.target.checked ? [...chosen, value] : chosen.filter((item) => item !== value))}
          />
          {label(value)}
        </label>
      ))}
    </fieldset>
  );
}

function QueueTable({ rows, now }: { rows: ReadonlyArray<QueueCase>; now: number }) {
  const session = useSession();
  return (
    <table className="responsive queue-table">
      <thead>
        <tr>
          <th scope="col">Case</th>
          <th scope="col">Customer</th>
          <th scope="col">Status</th>
          <th scope="col">Priority</th>
          <th scope="col">Assignee</th>
          <th scope="col">Last message</th>
          <th scope="col">SLA</th>
          <th scope="col">Order</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => {
          const lines = slaLines(row, now, awaitingFirstReply(row));
          const late = lines.some((line) => line.late);
          return (
            <tr key={row.id} data-testid="queue-row" data-case-number={row.number} className={late ? "row-late" : ""}>
              <td data-label="Case" className="queue-case">
                <Link to={`/cases/${encodeURIComponent(row.id)}`} className="row-link">
                  <span className="queue-subject">{row.subject}</span>
                </Link>
                <div className="muted small">{row.number}</div>
              </td>
              <td data-label="Customer">{row.customer.name}</td>
              <td data-label="Status">
                <StatusBadge shown={CASE_STATUS[row.status]} />
              </td>
              <td data-label="Priority">
                <StatusBadge shown={PRIORITY[row.priority]} />
              </td>
              <td data-label="Assignee">
                {row.assignee ? (
                  row.assignee.id === session.user.id ? (
                    <strong>You</strong>
                  ) : (
                    row.assignee.name
                  )
                ) : (
                  <span className="muted">Unassigned</span>
                )}
              </td>
              <td data-label="Last message">
                {row.lastMessage ? (
                  <span>
                    <time dateTime={row.lastMessage.createdAt} title={formatDateTime(row.lastMessage.createdAt)}>
                      {ago(row.lastMessage.createdAt, now)}
                    </time>
                    <span className="muted small">
                      {" "}
                      by {row.lastMessage.author.id === session.user.id ? "you" : row.lastMessage.author.name}
                      {row.lastMessage.author.role === "CUSTOMER" ? " (customer)" : ""}
                      {row.lastMessage.internal ? " · note" : ""}
                    </span>
                  </span>
                ) : (
                  <span className="muted">None yet</span>
                )}
              </td>
              <td data-label="SLA">
                <SlaList lines={lines} />
              </td>
              <td data-label="Order">{row.order ? row.order.number : <span className="muted">—</span>}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/**
 * Whether the first-response clock still runs. The list has no "first replied at", so: a case still
 * OPEN whose newest message is not a public staff reply (an agent who answers usually moves it on).
 */
function awaitingFirstReply(row: QueueCase): boolean {
  if (row.status !== "OPEN") return false;
  const last = row.lastMessage;
  return !(last && !last.internal && last.author.role !== "CUSTOMER");
}
