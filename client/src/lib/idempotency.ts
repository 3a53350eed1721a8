/**
 * A key for one intended request. The form keeps the same key while its input is unchanged, so a
 * double click or a retry after a network error asks the server once; a changed input gets a new key.
 */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
