import { useCallback, useRef } from "react";

/** A fresh key for one intended request. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

/**
 * Keys for a form's requests: the same key while the input stays the same, so a double click or a
 * retry after a network error reaches the server as one request; a changed input gets a new key.
 * Call `done()` after a success, so the next request (even with the same text) is a new one.
 */
export function useIdempotencyKey(): { keyFor: (input: unknown) => string; done: () => void } {
  const intent = useRef<{ fingerprint: string; key: string } | null>(null);
  const keyFor = useCallback((input: unknown) => {
    const fingerprint = JSON.stringify(input);
    if (intent.current?.fingerprint !== fingerprint) {
      intent.current = { fingerprint, key: newIdempotencyKey() };
    }
    return intent.current.key;
  }, []);
  const done = useCallback(() => {
    intent.current = null;
  }, []);
  return { keyFor, done };
}
