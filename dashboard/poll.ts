/** Loading a page's data and keeping it live: poll every 2 s while `live(data)` holds, then stop. */
import { useEffect, useState } from 'preact/hooks';

export interface Polled<T> {
  data: T | null;
  error: string | null;
  /** Loads again now (after an action such as Resume), and polls again if the data is live. */
  reload: () => void;
}

/**
 * `load()` once per change of `deps`, again every `ms` while `live` says the data may still change;
 * errors are kept beside the last good data (a failed poll does not blank the page).
 */
export function usePoll<T>(load: () => Promise<T>, deps: readonly unknown[], live: (data: T) => boolean, ms = 2000): Polled<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      let again = true;
      try {
        const d = await load();
        if (stopped) return;
        setData(d);
        setError(null);
        again = live(d);
      } catch (err) {
        if (stopped) return;
        setError(err instanceof Error ? err.message : String(err));
      }
      if (again && !stopped) timer = setTimeout(() => void tick(), ms);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // Reloads when the caller's `deps` change (or on reload()).
  }, [...deps, round]);
  return { data, error, reload: () => setRound((r) => r + 1) };
}
