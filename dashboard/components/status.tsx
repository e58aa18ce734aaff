/** A run's or a stage's status as a colored badge (style.css: `.status-<name>`). */
export function Status({ status }: { status: string }) {
  return <span class={`status status-${status}`}>{status}</span>;
}

/** A run or stage that may still change. */
export const isLive = (status: string): boolean => status === 'running' || status === 'pending';
