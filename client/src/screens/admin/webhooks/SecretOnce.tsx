// A signing secret is readable exactly once, right after registering or rotating: say so, offer
// to copy it, and forget it when the admin is done.
import { useState } from "react";

export function SecretOnce({ secret, title, onDone }: { secret: string; title: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      setCopied(false); // no clipboard (insecure origin, denied): the admin selects it by hand
    }
  }
  return (
    <div role="status" className="notice notice-info secret-once">
      <strong>{title}</strong>
      <p className="small">
        Give it to the receiving system now: it is shown only this once. Receivers verify the{" "}
        <code>webhook-signature</code> header with it (Standard Webhooks).
      </p>
      <code className="secret" data-testid="webhook-secret">
        {secret}
      </code>
      <div className="actions">
        <button type="button" onClick={() => void copy()}>
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" onClick={onDone}>
          I have stored it
        </button>
      </div>
    </div>
  );
}
