/** Which Temporal namespace a home uses: its own on the embedded dev server, `default` on a server named on purpose. */
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { homeNamespace, loadConfig, workflowUiUrl } from '../../../infra/config.ts';

let dir: string | null = null;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

describe('namespace', () => {
  it('is per home on the embedded dev server: the same home always the same, another home another', () => {
    const a = loadConfig({ BRAISE_HOME: '/srv/a/.braise' }, '/');
    const a2 = loadConfig({ BRAISE_HOME: '.braise' }, '/srv/a');
    const b = loadConfig({ BRAISE_HOME: '/srv/b/.braise' }, '/');
    expect(a.namespace).toMatch(/^braise-[0-9a-f]{12}$/);
    expect(a2.namespace).toBe(a.namespace);
    expect(b.namespace).not.toBe(a.namespace);
    expect(workflowUiUrl(a, 'wf')).toBe(`http://localhost:8233/namespaces/${a.namespace}/workflows/wf`);
  });

  it('follows symlinks, so one directory reached two ways is one home', async () => {
    dir = await mkdtemp(join(tmpdir(), 'braise-ns-'));
    await symlink(dir, `${dir}-link`);
    try {
      expect(homeNamespace(join(`${dir}-link`, '.braise'))).toBe(homeNamespace(join(dir, '.braise')));
    } finally {
      await rm(`${dir}-link`, { force: true });
    }
  });

  it('is `default` on a server named by TEMPORAL_ADDRESS (a deployment shares it), and TEMPORAL_NAMESPACE wins', () => {
    expect(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }, '/').namespace).toBe('default');
    expect(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'prod' }, '/').namespace).toBe('prod');
    expect(loadConfig({ TEMPORAL_NAMESPACE: 'mine' }, '/').namespace).toBe('mine');
  });
});

describe('BRAISE_WORKFLOW_BUNDLE', () => {
  it('names a prebuilt workflow bundle, relative to the working directory; unset or empty, the worker bundles at start', () => {
    expect(loadConfig({ BRAISE_WORKFLOW_BUNDLE: 'dist/workflow-bundle.js' }, '/app').workflowBundlePath).toBe('/app/dist/workflow-bundle.js');
    expect(loadConfig({ BRAISE_WORKFLOW_BUNDLE: '/opt/b.js' }, '/app').workflowBundlePath).toBe('/opt/b.js');
    expect(loadConfig({ BRAISE_WORKFLOW_BUNDLE: '' }, '/app').workflowBundlePath).toBeNull();
    expect(loadConfig({}, '/app').workflowBundlePath).toBeNull();
  });
});
