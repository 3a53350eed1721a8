import type { ReactNode } from "react";

export type Tone = "neutral" | "info" | "good" | "warn" | "bad";

/** How a value is shown: its words and its badge's colour (ui/statuses.ts). */
export interface Shown {
  label: string;
  tone: Tone;
}

export function Badge({ tone = "neutral", children }: { tone?: Tone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function StatusBadge({ shown }: { shown: Shown }) {
  return <Badge tone={shown.tone}>{shown.label}</Badge>;
}
