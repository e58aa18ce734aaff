/* global fetch, AbortSignal */
// The containers' health checks (compose.yaml; Kubernetes probes call the API directly), in plain Node: the images
// have no curl. `api`: GET /readyz (Temporal and the database reachable). `worker`: the Temporal frontend at
// TEMPORAL_ADDRESS accepts a connection (a worker serves no HTTP; its process is the container's, so it is alive).
import { connect } from 'node:net';

const TIMEOUT_MS = 4000;
const fail = (why) => {
  console.error(`unhealthy: ${why}`);
  process.exit(1);
};

const role = process.argv[2];
if (role === 'api') {
  const url = `http://127.0.0.1:${process.env.BRAISE_PORT || '8080'}/readyz`;
  fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) }).then(
    async (res) => (res.ok ? process.exit(0) : fail(`${url} answered ${res.status}: ${await res.text()}`)),
    (err) => fail(`${url}: ${err.message}`),
  );
} else if (role === 'worker') {
  const address = process.env.TEMPORAL_ADDRESS || fail('TEMPORAL_ADDRESS is not set');
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const socket = connect({ host, port, timeout: TIMEOUT_MS });
  socket.on('connect', () => process.exit(0));
  socket.on('timeout', () => fail(`${address}: no answer in ${TIMEOUT_MS} ms`));
  socket.on('error', (err) => fail(`${address}: ${err.message}`));
} else {
  fail(`usage: node docker/healthcheck.js api|worker (got ${role})`);
}
