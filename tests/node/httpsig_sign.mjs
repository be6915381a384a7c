// Sign HTTP requests with the npm `http-message-signatures` package (RFC 9421), for
// authgate's interoperability tests: an implementation authgate did not write.
//
//   node tests/node/httpsig_sign.mjs < request.json
//
// stdin:  {"key": "<PKCS#8 PEM>", "alg": "ed25519", "keyid": "...", "fields": ["@method", ...],
//          "requests": [{"method": "GET", "url": "http://127.0.0.1:8000/a%2Fb/", "headers": {}}]}
// stdout: [{"signature": "...", "signature-input": "..."}, ...] in the same order.
//
// The URL is given exactly as it will be sent: the package derives @path, @query and
// @target-uri from it with WHATWG URL parsing, which keeps percent-encodings as written.

import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { createSigner, httpbis } from 'http-message-signatures';

const input = JSON.parse(readFileSync(0, 'utf8'));
const key = createSigner(createPrivateKey(input.key), input.alg, input.keyid);

const signed = [];
for (const request of input.requests) {
  const message = await httpbis.signMessage(
    { key, fields: input.fields, params: ['created', 'keyid', 'alg'], name: 'sig1' },
    { method: request.method, url: request.url, headers: request.headers ?? {} },
  );
  signed.push({
    signature: message.headers.Signature,
    'signature-input': message.headers['Signature-Input'],
  });
}
process.stdout.write(JSON.stringify(signed));
