// Canned replies on a case: pick a macro, read exactly what it will say (filled from this case),
// then send it as a reply or keep it as an internal note, optionally moving the case on at the
// same time (one change on the server: if the move is refused, nothing is posted).
import { useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import type { CaseStatus } from "../../../gql/graphql";
import { useIdempotencyKey } from "../../../lib/idempotency";
import { RequestError, ResultErrors } from "../../../ui/ErrorNotice";
import { CASE_STATUS } from "../../../ui/statuses";
import { NEXT_STATUSES } from "./CaseControls";
import { ApplyMacro, MacroChoices, PreviewMacro } from "./documents";

interface PickerCase {
  id: string;
  status: CaseStatus;
  hasOrder: boolean;
}

export function MacroPicker({ supportCase }: { supportCase: PickerCase }) {
  const [choices] = useQuery({ query: MacroChoices });
  const [macroId, setMacroId] = useState("");
  const [status, setStatus] = useState<CaseStatus | "">("");
  const [sent, setSent] = useState<string | null>(null);
  const [preview] = useQuery({
    query: PreviewMacro,
    variables: { caseId: supportCase.id, macroId },
    pause: macroId === "",
    requestPolicy: "network-only",
  });
  const [result, apply] = useMutation(ApplyMacro);
  const idempotency = useIdempotencyKey();

  if (supportCase.status === "CLOSED") return null;
  const macros = choices.data?.macros.edges.map((edge) => edge.node) ?? [];
  const targets = NEXT_STATUSES[supportCase.status];
  const shown = macroId !== "" ? preview.data?.macroPreview : undefined;
  const rendered = shown?.__typename === "MacroPreview" ? shown.renderedBody : null;

  async function send(internal: boolean) {
    if (!rendered) return;
    setSent(null);
    const input = { caseId: supportCase.id, macroId, internal, status: status === "" ? null : status };
    const answer = await apply({ input: { ...input, idempotencyKey: idempotency.keyFor(input) } });
    if (answer.data?.applyMacro.__typename === "MacroApplied") {
      idempotency.done();
      const moved = status !== "" ? ` The case is now ${CASE_STATUS[status].label}.` : "";
      setSent((internal ? "Macro added as an internal note." : "Macro sent to the customer.") + moved);
      setMacroId("");
      setStatus("");
    }
  }

  return (
    <section className="card macro-picker" aria-labelledby="macro-title">
      <h2 id="macro-title">Canned replies</h2>
      {choices.error ? <RequestError error={choices.error} /> : null}
      {choices.data && macros.length === 0 ? (
        <p className="muted">
          No macros yet. <Link to="/macros">Write the first one</Link>.
        </p>
      ) : (
        <>
          <label htmlFor="macro-choice">Macro</label>
          <select
            id="macro-choice"
            value={macroId}
            onChange={(e) => {
              setMacroId(e.target.value);
              setSent(null);
            }}
          >
            <option value="">Choose a macro…</option>
            {macros.map((macro) => (
              <option key={macro.id} value={macro.id} disabled={macro.needsOrder && !supportCase.hasOrder}>
                {macro.title}
                {macro.needsOrder && !supportCase.hasOrder ? " (needs an order)" : ""}
              </option>
            ))}
          </select>
        </>
      )}
      {macroId !== "" && preview.fetching && !shown ? <p className="muted">Filling it in from this case…</p> : null}
      <ResultErrors result={shown} error={preview.error} />
      {rendered !== null ? (
        <>
          <h3 className="small">Preview — exactly what will be posted</h3>
          <div className="msg-body macro-preview" aria-label="Macro preview" data-testid="macro-preview">
            {rendered}
          </div>
          <label htmlFor="macro-status">Then set the status</label>
          <select id="macro-status" value={status} onChange={(e) => setStatus(e.target.value as CaseStatus | "")}>
            <option value="">Leave it {CASE_STATUS[supportCase.status].label}</option>
            {targets.map((target) => (
              <option key={target} value={target}>
                {CASE_STATUS[target].label}
              </option>
            ))}
          </select>
          <div className="composer-actions">
            <div className="composer-action composer-action-reply">
              <button type="button" className="primary" disabled={result.fetching} onClick={() => void send(false)}>
                Send macro as reply
              </button>
              <span className="muted small">The customer sees this.</span>
            </div>
            <div className="composer-action composer-action-note">
              <button type="button" className="note-button" disabled={result.fetching} onClick={() => void send(true)}>
                Add macro as internal note
              </button>
            </div>
          </div>
        </>
      ) : null}
      <ResultErrors result={result.data?.applyMacro} error={result.error} />
      {sent ? (
        <div role="status" className="notice notice-good">
          {sent}
        </div>
      ) : null}
    </section>
  );
}
