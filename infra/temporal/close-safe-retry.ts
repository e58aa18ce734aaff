/**
 * The Temporal client's gRPC retry interceptor, safe to close under. Its backoff timer makes the next attempt
 * through the channel; a call still retrying when its caller closes the connection (a wait given up, a poll
 * that ran into a server restart) then throws "Channel has been shut down" from the timer: an uncaught
 * exception in whoever owns the process. Here an attempt the closed channel refuses ends the call as
 * CANCELLED instead, through the retry interceptor's own path, so its caller (if any still listens) gets a
 * rejected promise and nothing is thrown from a timer. The first attempt is left alone: an error there
 * reaches the caller synchronously, as before.
 */
import { Metadata, status as grpcStatus, type Interceptor, type InterceptingListener } from '@grpc/grpc-js';
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';

/** What an interceptor's `nextCall` returns (grpc-js does not export the interface by name). */
type Call = ReturnType<Parameters<Interceptor>[1]>;

export function closeSafeRetryInterceptor(): Interceptor {
  const retry = makeGrpcRetryInterceptor(defaultGrpcRetryOptions());
  return (options, nextCall) => {
    let attempts = 0;
    return retry(options, (opts) => {
      if (attempts++ === 0) return nextCall(opts);
      try {
        return nextCall(opts);
      } catch (err) {
        return refusedCall(err instanceof Error ? err.message : String(err));
      }
    });
  };
}

/** A call the channel would not make: it ends, when started, with CANCELLED and the channel's reason. */
function refusedCall(details: string): Call {
  const none = (): void => undefined;
  return {
    start(_metadata: Metadata, listener?: Partial<InterceptingListener>) {
      // The retry interceptor hands the status on to the original call's listener; nothing may escape the timer.
      try {
        // As grpc-js ends a failed unary call: no message (null), then the status.
        listener?.onReceiveMessage?.(null);
        listener?.onReceiveStatus?.({ code: grpcStatus.CANCELLED, details, metadata: new Metadata() });
      } catch {
        // the call's owner is gone with the connection
      }
    },
    cancelWithStatus: none,
    getPeer: () => '',
    sendMessageWithContext: none,
    sendMessage: none,
    startRead: none,
    halfClose: none,
    getAuthContext: () => null,
  };
}
