import { describe, expect, it } from 'vitest';
import { parseS3Url, s3ClientFromEnv, s3Url } from '../../../datasets/s3.ts';

describe('s3:// locations', () => {
  it('parses a bucket and a prefix without its slashes; a path is not one', () => {
    expect(parseS3Url('s3://bkt/a/b/')).toEqual({ bucket: 'bkt', prefix: 'a/b' });
    expect(parseS3Url('s3://bkt')).toEqual({ bucket: 'bkt', prefix: '' });
    expect(parseS3Url('/srv/artifacts')).toBeNull();
    expect(s3Url({ bucket: 'bkt', prefix: 'a' }, 'x.json')).toBe('s3://bkt/a/x.json');
    expect(s3Url({ bucket: 'bkt', prefix: '' }, 'x.json')).toBe('s3://bkt/x.json');
  });

  it('refuses a bucket S3 would refuse, naming the variable and the value', () => {
    for (const bad of ['s3://', 's3:///p', 's3://ab/p', 's3://Upper/p', 's3://under_score']) {
      expect(() => parseS3Url(bad)).toThrow(`BRAISE_ARTIFACTS: "${bad}" names no valid bucket`);
    }
  });

  it('uses path-style requests by default when an endpoint is set, and as BRAISE_S3_FORCE_PATH_STYLE says', async () => {
    const style = (env: NodeJS.ProcessEnv) => s3ClientFromEnv(env).config.forcePathStyle;
    expect(style({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' })).toBe(true);
    expect(style({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000', BRAISE_S3_FORCE_PATH_STYLE: '0' })).toBe(false);
    expect(style({})).toBe(false);
    expect(style({ BRAISE_S3_FORCE_PATH_STYLE: '1' })).toBe(true);
    const client = s3ClientFromEnv({ AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' });
    expect(await client.config.region()).toBe('us-east-1');
    expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'k', secretAccessKey: 's' });
  });
});
