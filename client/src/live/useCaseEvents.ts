import { useQuery, useSubscription } from "urql";
import type { CaseEventsLiveSubscription } from "../gql/graphql";
import { CaseEventsLive, LatestEventCursor } from "./documents";

export type LiveCaseEvent = CaseEventsLiveSubscription["caseEvents"];

/**
 * Follows the live events of one case (or of every case, for staff, when caseId is null), starting
 * right after the newest event that existed when the page loaded. `onEvent` sees each event once;
 * the cache updates the views by itself.
 */
export function useCaseEvents(
  caseId: string | null,
  onEvent?: (event: LiveCaseEvent) => void,
): { ready: boolean } {
  const [start] = useQuery({
    query: LatestEventCursor,
    variables: { caseId },
    requestPolicy: "network-only",
  });
  const ready = !start.fetching && start.data !== undefined;
  useSubscription(
    {
      query: CaseEventsLive,
      variables: { caseId, after: start.data?.latestCaseEventCursor ?? null },
      pause: !ready,
    },
    (_previous: LiveCaseEvent | undefined, data: CaseEventsLiveSubscription) => {
      onEvent?.(data.caseEvents);
      return data.caseEvents;
    },
  );
  return { ready };
}
