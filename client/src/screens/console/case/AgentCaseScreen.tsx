// Placeholder while the console is built.
export function AgentCaseScreen() {
  return <main className="page"><p>Coming soon.</p></main>;
}
