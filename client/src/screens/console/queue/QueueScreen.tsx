// Placeholder while the console is built.
export function QueueScreen() {
  return <main className="page"><p>Coming soon.</p></main>;
}
