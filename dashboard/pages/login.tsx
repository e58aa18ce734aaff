/** The login page: a token (`braise token create`, or the local one `braise up` writes), checked against the API, kept in localStorage. */
import { useState } from 'preact/hooks';
import { api, token } from '../api.ts';
import { RunList } from '../schemas.ts';

export function Login({ next }: { next: string }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await api('/v1/runs?limit=1', RunList, { bearer: value.trim() });
      token.set(value.trim());
      location.hash = next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/';
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <main class="login">
      <form onSubmit={(e) => void submit(e)} class="card">
        <h1>Braise</h1>
        <p>Sign in with an API token: <code>braise token create --name me</code> prints one; <code>braise up</code> writes a local one to <code>.braise/token</code>.</p>
        <label>
          Token
          <input type="password" name="token" autocomplete="current-password" value={value} onInput={(e) => setValue(e.currentTarget.value)} required />
        </label>
        <button type="submit">Sign in</button>
        {error && <p class="error" role="alert">{error}</p>}
      </form>
    </main>
  );
}
