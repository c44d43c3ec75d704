// The peer for the client_credentials comparison: node oidc-provider 9,
// configured to issue ES256 JWT access tokens for one service client, the
// job tongban's token endpoint does for department systems. The benchmark
// tool (tongban-bench) installs oidc-provider from the npm registry into a temporary
// folder and runs this file there; nothing of it is committed.
//
// Usage: node oidc_provider_peer.mjs PORT
import * as crypto from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] || 18090);
const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'ES256', kid: 'peer-es256' };

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'bench-svc',
    client_secret: 'bench-secret',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'ES256',
    scope: 'catalog.read',
  }],
  jwks: { keys: [jwk] },
  scopes: ['catalog.read'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:tongban:api',
      getResourceServerInfo: () => ({
        scope: 'catalog.read',
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
      useGrantedResource: () => true,
    },
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`peer listening on ${port}`));
