import type { PagerFragment } from "../gql/graphql";

/**
 * Keyset paging: forward, and back to the start (cursors only go one way). `after` is the cursor the
 * shown page starts after (null: the first page); `onPage` asks for the page after another cursor.
 */
export function Pager({
  pageInfo,
  after,
  onPage,
}: {
  pageInfo: PagerFragment | undefined;
  after: string | null;
  onPage: (after: string | null) => void;
}) {
  const hasNext = pageInfo?.hasNextPage ?? false;
  if (!hasNext && !after) return null;
  return (
    <div className="actions">
      {after ? (
        <button type="button" onClick={() => onPage(null)}>
          Back to the first page
        </button>
      ) : null}
      {hasNext ? (
        <button type="button" onClick={() => onPage(pageInfo?.endCursor ?? null)}>
          Next page
        </button>
      ) : null}
    </div>
  );
}
