// A real OAuth 2.0 authorization server for authgate's tests: panva's oidc-provider.
//
//   node tests/node/idp.mjs <config.json>
//
// Listens on 127.0.0.1 (a free port), then prints one JSON line on stdout:
//   {"issuer": "http://127.0.0.1:<port>", "port": <port>}
// and serves until it gets SIGTERM. Everything lives in memory.
//
// What it offers, all through oidc-provider's own endpoints (see its discovery document):
// - the client_credentials grant for confidential clients (client_secret_basic);
// - resource indicators (RFC 8707): `resource` selects the token format, one audience each:
//     <audience>/jwt     -> an RFC 9068 JWT access token (ES256) for `audience`
//     <audience>/opaque  -> an opaque token for `audience`
//     https://other.example.com/jwt -> a JWT for another API
//   no resource          -> an opaque token without `aud` (as oidc-provider issues for userinfo);
// - DPoP (RFC 9449): a DPoP proof at the token endpoint binds the token (cnf.jkt);
// - introspection (RFC 7662) and revocation (RFC 7009);
// - key rotation: POST /__test__/rotate switches to a second provider, same issuer and
//   clients, whose JWKS is [new signing key, old key]; tokens are stored in memory shared by
//   both, so old opaque tokens still introspect.
//
// The config file: {"audience": "...", "clients": [{client_id, client_secret, scope}, ...]}.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const audience = config.audience;
const scope = 'notes:read notes:write openid';

function jwk(type, options, kid) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig' };
}

const rsa = jwk('rsa', { modulusLength: 2048 }, 'rsa-1');
const first = jwk('ec', { namedCurve: 'P-256' }, 'ec-1');
const second = jwk('ec', { namedCurve: 'P-256' }, 'ec-2');

const resources = {
  [`${audience}/jwt`]: { audience, accessTokenFormat: 'jwt' },
  [`${audience}/opaque`]: { audience, accessTokenFormat: 'opaque' },
  'https://other.example.com/jwt': { audience: 'https://other.example.com', accessTokenFormat: 'jwt' },
};

function provider(issuer, keys) {
  const instance = new Provider(issuer, {
    clients: config.clients.map((client) => ({
      client_id: client.client_id,
      client_secret: client.client_secret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      ...(client.scope === undefined ? { scope } : {}),
    })),
    jwks: { keys },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo(ctx, indicator) {
          const found = resources[indicator];
          if (!found) throw new errors.InvalidTarget();
          return {
            scope: 'notes:read notes:write',
            audience: found.audience,
            accessTokenTTL: 300,
            accessTokenFormat: found.accessTokenFormat,
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    scopes: ['openid', 'offline_access', 'notes:read', 'notes:write'],
    clientBasedCORS: () => false,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ttl: { ClientCredentials: 300, AccessToken: 300 },
  });
  instance.on('server_error', (ctx, error) => console.error('server_error', error));
  return instance;
}

let active = null;
let standby = null;

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/__test__/rotate') {
    active = standby;
    res.writeHead(204).end();
    return;
  }
  active.callback()(req, res);
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  active = provider(issuer, [first, rsa]);
  standby = provider(issuer, [second, first, rsa]);
  process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
