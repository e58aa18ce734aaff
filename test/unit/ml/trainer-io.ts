/** A TrainerIO for in-process trainer tests: records every message; asks to stop once `stopAfter` progress messages came. */
import type { ChildMessage, TrainerIO } from '../../../ml/jobs.ts';

export function recordingIo(stopAfter = Infinity): { io: TrainerIO; messages: ChildMessage[] } {
  const messages: ChildMessage[] = [];
  return {
    messages,
    io: {
      send: (m) => {
        messages.push(m);
        return Promise.resolve();
      },
      stopRequested: () => messages.filter((m) => m.type === 'progress').length >= stopAfter,
    },
  };
}
