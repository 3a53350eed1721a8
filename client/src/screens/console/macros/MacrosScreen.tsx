// The shared macro library (agents and admins): write, change and delete canned replies. The
// placeholders are listed beside the editor; an unknown one is refused by the server when saving,
// and its message is shown right under the editor.
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { formatDateTime } from "../../../lib/time";
import { RequestError, ResultErrors } from "../../../ui/ErrorNotice";
import "../console.css";
import { CreateMacro, DeleteMacro, MacroLibrary, PlaceholderList, UpdateMacro } from "./documents";

interface Draft {
  id: string | null; // null: a new macro
  title: string;
  body: string;
}

const EMPTY: Draft = { id: null, title: "", body: "" };

export function MacrosScreen() {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [pages, setPages] = useState<ReadonlyArray<string | null>>([null]);
  return (
    <main className="page console-page">
      <h1>Macros</h1>
      <p className="muted">
        Canned replies every agent can post on a case. Placeholders like <code>{"{{customer_name}}"}</code> are filled
        from the case when the macro is used.
      </p>
      <div className="grid-2">
        <div>
          <section className="card" aria-labelledby="library-title">
            <h2 id="library-title">Library</h2>
            {pages.map((after, index) => (
              <LibraryPage
                key={after ?? "first"}
                after={after}
                isLast={index === pages.length - 1}
                onMore={(cursor) => setPages([...pages, cursor])}
                onEdit={(macro) => setDraft(macro)}
              />
            ))}
          </section>
        </div>
        <div>
          <Editor draft={draft} onChange={setDraft} onDone={() => setDraft(EMPTY)} />
          <Placeholders onInsert={(token) => setDraft({ ...draft, body: draft.body + token })} />
        </div>
      </div>
    </main>
  );
}

function LibraryPage({
  after,
  isLast,
  onMore,
  onEdit,
}: {
  after: string | null;
  isLast: boolean;
  onMore: (cursor: string) => void;
  onEdit: (draft: Draft) => void;
}) {
  const [result] = useQuery({ query: MacroLibrary, variables: { after } });
  const macros = result.data?.macros;
  if (result.error && !macros) return <RequestError error={result.error} />;
  if (!macros) return <p className="muted">Loading macros…</p>;
  if (after === null && macros.edges.length === 0) return <p className="muted">No macros yet: write the first one.</p>;
  const endCursor = macros.pageInfo.endCursor;
  return (
    <>
      <ul className="macro-list">
        {macros.edges.map(({ node }) => (
          <li key={node.id} className="macro-item" data-testid={`macro-${node.title}`}>
            <div className="card-head">
              <h3>{node.title}</h3>
              {node.needsOrder ? <span className="muted small">needs an order</span> : null}
            </div>
            <div className="msg-body">{node.body}</div>
            <p className="muted small">
              Changed {formatDateTime(node.updatedAt)}
              {node.updatedBy ? ` by ${node.updatedBy.name}` : ""}
            </p>
            <div className="control-row">
              <button type="button" onClick={() => onEdit({ id: node.id, title: node.title, body: node.body })}>
                Edit {node.title}
              </button>
              <DeleteButton id={node.id} title={node.title} />
            </div>
          </li>
        ))}
      </ul>
      {isLast && macros.pageInfo.hasNextPage && endCursor ? (
        <button type="button" onClick={() => onMore(endCursor)}>
          Show more macros
        </button>
      ) : null}
    </>
  );
}

function DeleteButton({ id, title }: { id: string; title: string }) {
  const [confirming, setConfirming] = useState(false);
  const [result, remove] = useMutation(DeleteMacro);
  return (
    <>
      {confirming ? (
        <>
          <button type="button" className="danger" disabled={result.fetching} onClick={() => void remove({ input: { macroId: id } })}>
            Really delete {title}
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </>
      ) : (
        <button type="button" onClick={() => setConfirming(true)}>
          Delete {title}
        </button>
      )}
      <ResultErrors result={result.data?.deleteMacro} error={result.error} />
    </>
  );
}

function Editor({ draft, onChange, onDone }: { draft: Draft; onChange: (d: Draft) => void; onDone: () => void }) {
  const [created, create] = useMutation(CreateMacro);
  const [updated, update] = useMutation(UpdateMacro);
  const [saved, setSaved] = useState<string | null>(null);
  const editing = draft.id !== null;
  const result = editing ? updated : created;
  const outcome = editing ? updated.data?.updateMacro : created.data?.createMacro;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(null);
    const answer = draft.id
      ? (await update({ input: { macroId: draft.id, title: draft.title, body: draft.body } })).data?.updateMacro
      : (await create({ input: { title: draft.title, body: draft.body } })).data?.createMacro;
    if (answer?.__typename === "MacroSaved") {
      setSaved(`Saved “${answer.macro.title}”.`);
      onDone();
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="editor-title">
      <h2 id="editor-title">{editing ? "Edit macro" : "New macro"}</h2>
      <label htmlFor="macro-title">Title</label>
      <input
        id="macro-title"
        maxLength={120}
        value={draft.title}
        onChange={(e) => onChange({ ...draft, title: e.target.value })}
      />
      <label htmlFor="macro-body">Text</label>
      <textarea
        id="macro-body"
        rows={8}
        maxLength={10000}
        value={draft.body}
        onChange={(e) => onChange({ ...draft, body: e.target.value })}
      />
      <ResultErrors result={outcome} error={result.error} />
      {saved ? (
        <div role="status" className="notice notice-good">
          {saved}
        </div>
      ) : null}
      <div className="control-row">
        <button type="submit" className="primary" disabled={result.fetching || !draft.title.trim() || !draft.body.trim()}>
          {editing ? "Save changes" : "Save macro"}
        </button>
        {editing ? (
          <button type="button" onClick={onDone}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

function Placeholders({ onInsert }: { onInsert: (token: string) => void }) {
  const [result] = useQuery({ query: PlaceholderList });
  const placeholders = result.data?.macroPlaceholders ?? [];
  return (
    <section className="card" aria-labelledby="placeholders-title">
      <h2 id="placeholders-title">Placeholders</h2>
      {result.error ? <RequestError error={result.error} /> : null}
      <table className="placeholders">
        <tbody>
          {placeholders.map((p) => (
            <tr key={p.name}>
              <td>
                <button type="button" className="link-button" onClick={() => onInsert(p.token)} aria-label={`Insert ${p.token}`}>
                  <code>{p.token}</code>
                </button>
              </td>
              <td>
                {p.description} <span className="muted small">e.g. {p.example}</span>
                {p.needsOrder ? <span className="muted small"> (cases with an order)</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
