/** Keyset paging: forward, and back to the start (cursors only go one way). */
export function Pager({
  hasNext,
  onNext,
  onFirst,
}: {
  hasNext: boolean;
  onNext: () => void;
  onFirst?: (() => void) | undefined;
}) {
  if (!hasNext && !onFirst) return null;
  return (
    <div className="actions">
      {onFirst ? (
        <button type="button" onClick={onFirst}>
          Back to the first page
        </button>
      ) : null}
      {hasNext ? (
        <button type="button" onClick={onNext}>
          Next page
        </button>
      ) : null}
    </div>
  );
}
