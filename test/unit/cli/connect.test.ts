/** Where the CLI looks for the API: BRAISE_API_URL, else where `braise up` listens with the same BRAISE_HOST/BRAISE_PORT. */
import { describe, expect, it } from 'vitest';
import { apiLocation } from '../../../cli/connect.ts';

describe('apiLocation', () => {
  it('defaults to 127.0.0.1:8080', () => {
    expect(apiLocation({})).toEqual({ url: 'http://127.0.0.1:8080', from: 'the default BRAISE_HOST/BRAISE_PORT' });
  });

  it('follows BRAISE_PORT and BRAISE_HOST as `braise up` does', () => {
    expect(apiLocation({ BRAISE_PORT: '9305' }).url).toBe('http://127.0.0.1:9305');
    expect(apiLocation({ BRAISE_HOST: 'localhost', BRAISE_PORT: '9305' }).url).toBe('http://localhost:9305');
    expect(apiLocation({ BRAISE_HOST: '0.0.0.0', BRAISE_PORT: '9305' }).url).toBe('http://127.0.0.1:9305');
    expect(apiLocation({ BRAISE_HOST: '::', BRAISE_PORT: '9305' }).url).toBe('http://[::1]:9305');
    expect(apiLocation({ BRAISE_HOST: '::1' }).url).toBe('http://[::1]:8080');
    expect(apiLocation({ BRAISE_PORT: '9305' }).from).toBe('BRAISE_HOST/BRAISE_PORT');
  });

  it('takes BRAISE_API_URL over BRAISE_HOST/BRAISE_PORT, without a trailing slash', () => {
    expect(apiLocation({ BRAISE_API_URL: 'https://braise.example/', BRAISE_PORT: '9305' })).toEqual({ url: 'https://braise.example', from: 'BRAISE_API_URL' });
  });

  it('names the variable when it is not usable', () => {
    expect(() => apiLocation({ BRAISE_API_URL: 'braise:8080x' })).toThrow(/BRAISE_API_URL/);
    expect(() => apiLocation({ BRAISE_API_URL: 'ftp://x' })).toThrow(/BRAISE_API_URL/);
    expect(() => apiLocation({ BRAISE_PORT: 'eighty' })).toThrow(/BRAISE_PORT/);
  });
});
