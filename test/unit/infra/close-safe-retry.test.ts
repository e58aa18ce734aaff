/**
 * closeSafeRetryInterceptor: a call the Temporal client's retry interceptor is still retrying when its
 * connection closes ends as CANCELLED instead of throwing "Channel has been shut down" from the backoff timer
 * (an uncaught exception that failed CI from services-restart.test.ts). Driven through grpc-js's real
 * InterceptingCall and the SDK's real retry interceptor; only the channel below is a stand-in.
 */
import { Metadata, status, type InterceptorOptions, type StatusObject } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { closeSafeRetryInterceptor } from '../../../infra/temporal/close-safe-retry.ts';

type Listener = { onReceiveStatus?: (s: StatusObject) => void; onReceiveMessage?: (m: unknown) => void };

/** A unary channel call that fails with `code` once started (grpc-js hands a failed unary call's listener a null message first). */
function failingCall(code: status) {
  return {
    start(_m: Metadata, listener?: Listener) {
      setImmediate(() => {
        listener?.onReceiveMessage?.(null);
        listener?.onReceiveStatus?.({ code, details: 'server gone', metadata: new Metadata() });
      });
    },
    cancelWithStatus() {},
    getPeer: () => '',
    sendMessageWithContext() {},
    sendMessage() {},
    startRead() {},
    halfClose() {},
    getAuthContext: () => null,
  };
}

describe('closeSafeRetryInterceptor', () => {
  it('ends a call whose retry meets a closed channel as CANCELLED, throwing nothing from the timer', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      let attempts = 0;
      const next = () => {
        attempts++;
        if (attempts === 1) return failingCall(status.UNAVAILABLE); // the server restarting: worth a retry
        throw new Error('Channel has been shut down'); // the caller closed the connection meanwhile
      };
      const call = closeSafeRetryInterceptor()({} as InterceptorOptions, next);
      const ended = new Promise<StatusObject>((resolve) => {
        call.start(new Metadata(), { onReceiveMessage() {}, onReceiveStatus: resolve });
      });
      call.sendMessage({});
      call.halfClose();
      const outcome = await Promise.race([ended, new Promise<'no status'>((r) => setTimeout(() => r('no status'), 3000))]);
      expect(attempts).toBe(2);
      expect(uncaught).toEqual([]);
      expect(outcome).toMatchObject({ code: status.CANCELLED, details: 'Channel has been shut down' });
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('leaves the first attempt alone: a closed channel there throws to the caller at once', () => {
    const next = () => {
      throw new Error('Channel has been shut down');
    };
    expect(() => closeSafeRetryInterceptor()({} as InterceptorOptions, next)).toThrow('Channel has been shut down');
  });
});
