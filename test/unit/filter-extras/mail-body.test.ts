import { describe, expect, it } from 'vitest';
import { htmlToText, mailBody } from '../../../datasets/builtin/spam-assassin.ts';

const HEADERS = 'From someone@example.com  Thu Aug 22 13:17:22 2002\nReturn-Path: <someone@example.com>\nReceived: from a\n\tby b with ESMTP\nSubject: =?iso-8859-1?Q?Caf=E9_prices?=\n';

describe('mailBody', () => {
  it('drops the headers (folded ones included) and keeps a plain body as is, lines trimmed', () => {
    const r = mailBody(`${HEADERS}Content-Type: text/plain\n\nHello there,\r\n\r\n  the body starts here.  \n\n\n\nBye.\n`);
    expect(r).toEqual({ text: 'Hello there,\n\nthe body starts here.\n\nBye.', subject: 'Café prices' });
  });

  it('decodes quoted-printable in the declared charset, soft line breaks joined', () => {
    const raw = `${HEADERS}Content-Type: text/plain; charset="iso-8859-1"\nContent-Transfer-Encoding: quoted-printable\n\nNa=EFve caf=E9 =3D good, and a long li=\nne.\n`;
    expect(mailBody(raw).text).toBe('Naïve café = good, and a long line.');
    const utf8 = `${HEADERS}Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n=E2=82=AC 5\n`;
    expect(mailBody(utf8).text).toBe('€ 5');
  });

  it('decodes base64 and falls back to Latin-1 for an unknown charset label', () => {
    const b64 = Buffer.from('caf\xe9 au lait', 'latin1').toString('base64');
    expect(mailBody(`${HEADERS}Content-Type: text/plain; charset=3Diso-8859-1\nContent-Transfer-Encoding: base64\n\n${b64}\n`).text).toBe('café au lait');
  });

  it('prefers the plain alternative, skips attachments, and reads nested parts', () => {
    const raw = [
      `${HEADERS}Content-Type: multipart/mixed; boundary="outer"`,
      '',
      'This is a MIME preamble.',
      '--outer',
      'Content-Type: multipart/alternative; boundary=inner',
      '',
      '--inner',
      'Content-Type: text/html',
      '',
      '<p>HTML version</p>',
      '--inner',
      'Content-Type: text/plain',
      '',
      'Plain version.',
      '--inner--',
      '--outer',
      'Content-Type: application/octet-stream',
      'Content-Disposition: attachment; filename="x.bin"',
      '',
      'AAAA',
      '--outer',
      'Content-Type: text/plain',
      '',
      'A footer.',
      '--outer--',
      'epilogue',
    ].join('\n');
    expect(mailBody(raw).text).toBe('Plain version.\n\nA footer.');
  });

  it('turns an HTML body into text', () => {
    const raw = `${HEADERS}Content-Type: text/html\n\n<html><head><title>t</title><style>p{}</style></head><body><!-- c --><P>Save&nbsp;up to 70%&#33;</P>\n<table><tr><td>Call</td><td>now</td></tr></table><br>Fish &amp; chips<script>x()</script></body></html>`;
    expect(mailBody(raw).text).toBe('Save up to 70%!\n\nCall now\n\nFish & chips');
    expect(htmlToText('a<b>b</b>c &lt;d&gt; &#x41; &bogus;')).toBe('abc <d> A &bogus;');
  });

  it('gives an empty text to a message without a body, and no subject when there is none', () => {
    expect(mailBody('Content-Type: image/gif\n\nGIF89a')).toEqual({ text: '' });
    expect(mailBody('just one line')).toEqual({ text: '' });
  });
});
