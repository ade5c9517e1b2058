// A local Pro Santé Connect-like OpenID provider for the segur-psc tests, built on the certified
// npm `oidc-provider`. Started by test-support/src/oidc_provider.rs with the path of a JSON
// configuration (ports are chosen by the OS, certificates made by the Rust test PKI).
//
// What it enforces, after ../shared/specs/psc.md §9:
// - the issuer lives under /auth/realms/esante-wallet with the Keycloak endpoint paths (§1);
// - discovery only at /.well-known/wallet-openid-configuration (the standard name is a 404);
// - HTTPS, mutual TLS client authentication (tls_client_auth, subject DN) with certificate-bound
//   access tokens (RFC 8705), a client_secret_basic client for the sandbox mode;
// - CIBA in poll mode: login_hint, binding_message of two digits, acr_values eidas1, channel
//   CARD or MOBILE, a short interval, slow_down when polled faster than the interval (CIBA Core
//   §11), expiry, approval or denial driven by the test through stdin;
// - authorization code with PKCE S256 required, state and nonce;
// - RFC 8693 token exchange for registered backend audiences, mTLS only, issuing JWS tokens
//   with cnf.x5t#S256 in the RFC 8705 form or the form the ANS examples use;
// - a JWKS with an RS256 and an ES256 key, and a third key the test can publish (rotation).
//
// Test control: one JSON command per line on stdin, one JSON answer per line on stdout.

import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import * as crypto from 'node:crypto';
import * as querystring from 'node:querystring';
import * as readline from 'node:readline';
import Provider, { errors } from 'oidc-provider';
import * as jose from 'jose';

// stdout is the control channel: the provider's notices (console.info) go to stderr.
console.info = console.error;
console.log = console.error;

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const PREFIX = '/auth/realms/esante-wallet';
const PSC_DISCOVERY = `${PREFIX}/.well-known/wallet-openid-configuration`;
const STD_DISCOVERY = `${PREFIX}/.well-known/openid-configuration`;
const JWKS_PATH = `${PREFIX}/protocol/openid-connect/certs`;
const TOKEN_PATH = `${PREFIX}/protocol/openid-connect/token`;
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const CIBA = 'urn:openid:params:grant-type:ciba';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const CIBA_INTERVAL = config.ciba_interval ?? 1;

// Keys generated at start-up: two published, one published later by the test (rotation).
async function genKey(alg, kid) {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  const priv = { ...(await jose.exportJWK(privateKey)), kid, alg, use: 'sig' };
  const pub = { ...(await jose.exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, priv, pub };
}
const keys = {
  rs1: await genKey('RS256', 'rs1'),
  es1: await genKey('ES256', 'es1'),
  rs2: await genKey('RS256', 'rs2'),
};
const published = new Set(['rs1', 'es1']);
let jwksFetches = 0;
let thumbprintForm = 'rfc';

// National ids the test configured: the CIBA outcome of each (approve, deny, ignore).
const cibaPolicies = new Map();
// Last poll instant of each auth_req_id, for slow_down.
const lastPoll = new Map();
// auth_req_ids whose next poll gets a 503 (PSC unavailable for a moment, psc.md §4).
const unavailableOnce = new Set();
// The exchanged tokens (RFC 8693) by jti, with the id of the PSC grant each came from.
const exchangedTokens = new Map();
// The grants made for each national id, so the test can revoke them server-side.
const grantsOf = new Map();
function remember(accountId, grantId) {
  grantsOf.set(accountId, [...(grantsOf.get(accountId) ?? []), grantId]);
}

function account(nationalId) {
  return {
    accountId: nationalId,
    async claims() {
      return {
        sub: `f:550dc1c8-d97b-4b1e-ac8c-8eb4471cf9dd:${nationalId}`,
        SubjectNameID: nationalId,
        preferred_username: nationalId,
        given_name: 'CLAUDE',
        family_name: 'PHARMACIEN',
        SubjectRefPro: {
          codeCivilite: 'M',
          exercices: [{
            codeProfession: '21',
            codeCategorieProfessionnelle: 'C',
            nomDexercice: 'PHARMACIEN',
            prenomDexercice: 'CLAUDE',
            activities: [
              { codeSectionPharmacien: 'A', numeroFinessSite: '010000001', raisonSocialeSite: 'PHARMACIE DU TEST' },
              { codeSectionPharmacien: 'D', raisonSocialeSite: 'LABORATOIRE DU TEST' },
            ],
          }],
        },
      };
    },
  };
}

function peerPem(ctx) {
  const peer = ctx.socket.getPeerCertificate?.(false);
  if (!peer || !peer.raw) return undefined;
  return new crypto.X509Certificate(peer.raw).toString();
}

function ansThumbprint(pem) {
  // The form the ANS examples carry: standard base64 of the lower-case hex SHA-256 string.
  const der = new crypto.X509Certificate(pem).raw;
  const hex = crypto.createHash('sha256').update(der).digest('hex');
  return Buffer.from(hex, 'utf8').toString('base64');
}
function rfcThumbprint(pem) {
  const der = new crypto.X509Certificate(pem).raw;
  return crypto.createHash('sha256').update(der).digest('base64url');
}

const issuer = `https://localhost:${config.port}${PREFIX}`;
// Every file is read at start-up: the harness deletes its folder once the provider is ready.
const SERVER_CA = readFileSync(config.server_ca);

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'lgo-mtls',
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: config.client_dn,
      tls_client_certificate_bound_access_tokens: true,
      grant_types: [CIBA, 'refresh_token', 'authorization_code', TOKEN_EXCHANGE],
      response_types: ['code'],
      redirect_uris: ['https://proxy.pharmacie.test/psc/callback'],
      backchannel_token_delivery_mode: 'poll',
      id_token_signed_response_alg: 'RS256',
    },
    {
      // The PSC client of a second structure behind the same proxy: its own id and certificate.
      client_id: 'lgo-mtls-b',
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: config.client_b_dn,
      tls_client_certificate_bound_access_tokens: true,
      grant_types: [CIBA, 'refresh_token', TOKEN_EXCHANGE],
      response_types: [],
      redirect_uris: [],
      backchannel_token_delivery_mode: 'poll',
      id_token_signed_response_alg: 'RS256',
    },
    {
      // A resource server (an MSSanté operator's Dovecot): no grant of its own, it only
      // introspects tokens (RFC 7662 §2.1: the caller authenticates, here client_secret_basic).
      client_id: config.resource_server_id,
      client_secret: config.resource_server_secret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: 'lgo-sandbox',
      client_secret: config.sandbox_secret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [CIBA, 'refresh_token', 'authorization_code'],
      response_types: ['code'],
      redirect_uris: ['https://proxy.pharmacie.test/psc/callback'],
      backchannel_token_delivery_mode: 'poll',
      id_token_signed_response_alg: 'ES256',
      // Userinfo as a signed JWT (psc.md §5.4: JSON or application/jwt).
      userinfo_signed_response_alg: 'ES256',
    },
  ],
  jwks: { keys: [keys.rs1.priv, keys.es1.priv] },
  cookies: {
    keys: [crypto.randomBytes(32).toString('hex')],
    long: { sameSite: 'none', secure: true },
    short: { sameSite: 'lax', secure: true },
  },
  routes: {
    authorization: '/protocol/openid-connect/auth',
    backchannel_authentication: '/protocol/openid-connect/ext/ciba/auth',
    end_session: '/protocol/openid-connect/logout',
    introspection: '/protocol/openid-connect/token/introspect',
    jwks: '/protocol/openid-connect/certs',
    revocation: '/protocol/openid-connect/revoke',
    token: '/protocol/openid-connect/token',
    userinfo: '/protocol/openid-connect/userinfo',
  },
  scopes: ['openid', 'scope_all', 'offline_access'],
  claims: {
    openid: ['sub'],
    scope_all: ['SubjectNameID', 'preferred_username', 'given_name', 'family_name', 'SubjectRefPro'],
  },
  clientAuthMethods: ['tls_client_auth', 'client_secret_basic'],
  conformIdTokenClaims: false,
  // Keycloak (PSC) takes the end-session request as a POST from the server side too.
  enableHttpPostMethods: true,
  acrValues: ['eidas1'],
  extraParams: ['channel'],
  findAccount: async (_ctx, id) => account(id),
  pkce: { required: () => true },
  // PSC's introspection returns `SubjectNameID` for an access token (psc.md §5.2, §6).
  extraTokenClaims: async (_ctx, token) => (token.kind === 'AccessToken'
    ? { SubjectNameID: token.accountId } : undefined),
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  ttl: {
    AccessToken: 120,
    IdToken: 120,
    RefreshToken: 1800,
    AuthorizationCode: 60,
    Grant: 1800,
    Session: 4 * 3600,
    Interaction: 600,
    BackchannelAuthenticationRequest: (ctx) => {
      const hint = ctx?.oidc?.params?.login_hint;
      return cibaPolicies.get(hint)?.expires_in ?? 30;
    },
  },
  interactions: { url: (_ctx, interaction) => `${PREFIX}/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    introspection: {
      enabled: true,
      // Only the resource server and a token's own client learn about a token.
      allowedPolicy: async (ctx, client, token) => client.clientId === config.resource_server_id
        || client.clientId === token.clientId,
    },
    jwtUserinfo: { enabled: true },
    revocation: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    ciba: {
      enabled: true,
      deliveryModes: ['poll'],
      processLoginHint: async (_ctx, hint) => (hint === 'unknown' ? undefined : hint),
      verifyUserCode: async () => {},
      validateBindingMessage: async (_ctx, message) => {
        if (!/^[0-9]{2}$/.test(message ?? '')) {
          throw new errors.InvalidBindingMessage('binding_message must be two digits');
        }
      },
      validateRequestContext: async (ctx) => {
        const { channel, acr_values: acr } = ctx.oidc.params;
        if (acr !== 'eidas1') throw new errors.InvalidRequest('acr_values must be eidas1');
        if (channel !== undefined && !['CARD', 'MOBILE'].includes(channel)) {
          throw new errors.InvalidRequest('channel must be CARD or MOBILE');
        }
      },
      triggerAuthenticationDevice: async (ctx, request, acct, client) => {
        ctx.body.interval = CIBA_INTERVAL;
        const policy = cibaPolicies.get(acct.accountId) ?? { action: 'ignore' };
        if (policy.unavailable_once) unavailableOnce.add(request.jti);
        const decide = async () => {
          if (policy.action === 'approve') {
            const grant = new provider.Grant({ clientId: client.clientId, accountId: acct.accountId });
            grant.addOIDCScope(request.scope);
            remember(acct.accountId, await grant.save());
            await provider.backchannelResult(request, grant, {
              acr: 'eidas1', authTime: Math.floor(Date.now() / 1000),
            });
          } else if (policy.action === 'deny') {
            await provider.backchannelResult(request, new errors.AccessDenied('the user refused on the device'));
          }
        };
        setTimeout(() => { decide().catch((e) => console.error(e)); }, policy.delay_ms ?? 0);
      },
    },
    mTLS: {
      enabled: true,
      certificateBoundAccessTokens: true,
      tlsClientAuth: true,
      getCertificate: peerPem,
      certificateAuthorized: (ctx) => ctx.socket.authorized === true,
      certificateSubjectMatches: (ctx, property, expected) => {
        if (property !== 'tls_client_auth_subject_dn') return false;
        const pem = peerPem(ctx);
        return !!pem && new crypto.X509Certificate(pem).subject === expected;
      },
    },
  },
});
provider.proxy = false;

// RFC 8693 token exchange for the registered backend audiences, mutual TLS only.
provider.registerGrantType(TOKEN_EXCHANGE, async (ctx) => {
  const { client } = ctx.oidc;
  const params = ctx.oidc.params;
  if (client.clientAuthMethod !== 'tls_client_auth') {
    throw new errors.InvalidClient('token exchange requires tls_client_auth');
  }
  const pem = peerPem(ctx);
  if (params.subject_token_type !== ACCESS_TOKEN_TYPE) {
    throw new errors.InvalidRequest('unsupported subject_token_type');
  }
  const backend = config.backends.find((b) => b.audience === params.audience);
  if (!backend) throw new errors.InvalidTarget('unknown audience');
  if (params.scope && !params.scope.split(' ').every((s) => backend.scopes.includes(s))) {
    throw new errors.InvalidScope('scope not allowed for this audience', params.scope);
  }
  const subject = await provider.AccessToken.find(params.subject_token);
  if (!subject || !subject.isValid || subject.clientId !== client.clientId) {
    throw new errors.InvalidGrant('subject_token is not an active access token of this client');
  }
  if (subject['x5t#S256'] && subject['x5t#S256'] !== rfcThumbprint(pem)) {
    throw new errors.InvalidGrant('subject_token is bound to another certificate');
  }
  const expiresIn = 600;
  const jti = crypto.randomUUID();
  // The exchanged token lives as long as the PSC grant it came from (introspection below).
  exchangedTokens.set(jti, subject.grantId);
  const thumb = thumbprintForm === 'ans' ? ansThumbprint(pem) : rfcThumbprint(pem);
  const accessToken = await new jose.SignJWT({
    SubjectNameID: subject.accountId,
    preferred_username: subject.accountId,
    scope: params.scope ?? backend.scopes.join(' '),
    client_id: client.clientId,
    cnf: { 'x5t#S256': thumb },
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'rs1', typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience(backend.audience)
    .setSubject(subject.accountId)
    .setIssuedAt()
    .setJti(jti)
    .setExpirationTime(`${expiresIn}s`)
    .sign(keys.rs1.privateKey);
  ctx.body = {
    access_token: accessToken,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: expiresIn,
  };
}, ['subject_token', 'subject_token_type', 'audience', 'scope', 'subject_issuer', 'resource']);

// Interactions of the authorization endpoint: the professional is logged in and consents at
// once (the national id comes from login_hint), the rest of the flow is the provider's.
provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const accountId = details.params.login_hint ?? '899700218896';
  const grant = new provider.Grant({ clientId: details.params.client_id, accountId });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  remember(accountId, grantId);
  return provider.interactionFinished(ctx.req, ctx.res, {
    login: { accountId, acr: 'eidas1' },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
});

// The authorization request as PSC requires it (psc.md §9.2): state, nonce, acr_values=eidas1,
// a scope with openid and scope_all. Checked before the provider's own checks.
provider.use(async (ctx, next) => {
  if (ctx.path === '/protocol/openid-connect/auth' && ctx.method === 'GET') {
    const q = ctx.query;
    const scopes = String(q.scope ?? '').split(' ');
    const missing = ['state', 'nonce'].filter((k) => typeof q[k] !== 'string' || q[k] === '');
    if (missing.length || q.acr_values !== 'eidas1'
        || !scopes.includes('openid') || !scopes.includes('scope_all')) {
      ctx.status = 400;
      ctx.type = 'application/json';
      ctx.body = {
        error: 'invalid_request',
        error_description: missing.length ? `missing ${missing.join(', ')}` : 'acr_values eidas1 and scope openid scope_all required',
      };
      return undefined;
    }
  }
  return next();
});

// slow_down (CIBA Core §11): a poll sooner than the interval after the previous one. The body
// is read here and handed to the provider already parsed.
provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/protocol/openid-connect/token'
      && ctx.is('application/x-www-form-urlencoded')) {
    const chunks = [];
    let size = 0;
    for await (const chunk of ctx.req) {
      size += chunk.length;
      if (size > 56 * 1024) ctx.throw(413);
      chunks.push(chunk);
    }
    const body = querystring.parse(Buffer.concat(chunks).toString('utf8'));
    ctx.req.body = body;
    if (body.grant_type === CIBA && typeof body.auth_req_id === 'string') {
      if (unavailableOnce.delete(body.auth_req_id)) {
        ctx.status = 503;
        ctx.body = 'service unavailable';
        return undefined;
      }
      const now = Date.now();
      const last = lastPoll.get(body.auth_req_id);
      lastPoll.set(body.auth_req_id, now);
      if (last !== undefined && now - last < CIBA_INTERVAL * 1000 - 50) {
        ctx.status = 400;
        ctx.body = { error: 'slow_down', error_description: 'polled sooner than the interval' };
        return undefined;
      }
    }
  }
  return next();
});

// RFC 7662 introspection of the exchanged tokens (RFC 8693), which this provider signs itself
// and oidc-provider does not store (its introspection refuses structured tokens): the
// authorisation server of the exchange answers for them, as a resource server (an MSSanté
// operator's Dovecot) needs it. The caller authenticates as the resource-server client
// (client_secret_basic, RFC 7662 §2.1); a token is active while its signature, issuer,
// audience and expiry hold and the PSC grant it was exchanged from still exists (revoked
// grants kill their exchanged tokens). Any other token goes on to oidc-provider.
function resourceServerAuthenticated(header) {
  const m = /^Basic ([A-Za-z0-9+/]+=*)$/.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1], 'base64');
  const expected = Buffer.from(`${config.resource_server_id}:${config.resource_server_secret}`);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}
async function introspectExchanged(token) {
  let payload;
  try {
    ({ payload } = await jose.jwtVerify(token, jose.createLocalJWKSet(jwksBody()), {
      issuer,
      audience: config.backends.map((b) => b.audience),
      algorithms: ['RS256', 'PS256', 'ES256'],
    }));
  } catch {
    return { active: false };
  }
  const grantId = exchangedTokens.get(payload.jti);
  if (!grantId || !(await provider.Grant.find(grantId))) return { active: false };
  return {
    active: true,
    iss: payload.iss,
    sub: payload.sub,
    SubjectNameID: payload.SubjectNameID,
    aud: payload.aud,
    scope: payload.scope,
    client_id: payload.client_id,
    exp: payload.exp,
    iat: payload.iat,
    jti: payload.jti,
    cnf: payload.cnf,
    token_type: 'Bearer',
  };
}
provider.use(async (ctx, next) => {
  if (ctx.method !== 'POST' || ctx.path !== '/protocol/openid-connect/token/introspect'
      || !ctx.is('application/x-www-form-urlencoded')) {
    return next();
  }
  const chunks = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += chunk.length;
    if (size > 56 * 1024) ctx.throw(413);
    chunks.push(chunk);
  }
  const body = querystring.parse(Buffer.concat(chunks).toString('utf8'));
  let structured = false;
  try {
    structured = typeof body.token === 'string' && !!jose.decodeProtectedHeader(body.token);
  } catch {}
  if (!structured) {
    ctx.req.body = body;
    return next();
  }
  ctx.set('cache-control', 'no-store');
  ctx.type = 'application/json';
  if (!resourceServerAuthenticated(ctx.get('authorization'))) {
    ctx.status = 401;
    ctx.set('www-authenticate', 'Basic realm="esante-wallet"');
    ctx.body = { error: 'invalid_client', error_description: 'resource server authentication failed' };
    return undefined;
  }
  ctx.body = await introspectExchanged(body.token);
  return undefined;
});

function jwksBody() {
  return { keys: [...published].map((kid) => keys[kid].pub) };
}

// A backend API of the registered audiences (psc.md §9.10): it takes an exchanged token as
// Bearer (RFC 6750), verifies it with jose against the provider's JWKS (issuer, audience,
// expiry) and requires the TLS client certificate to match cnf.x5t#S256 (RFC 8705 §3), in the
// RFC form or the ANS form.
async function backend(req, res, url) {
  const send = (status, body) => {
    const headers = { 'content-type': 'application/json' };
    if (status === 401) headers['www-authenticate'] = 'Bearer error="invalid_token"';
    res.writeHead(status, headers);
    res.end(JSON.stringify(body));
  };
  const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(req.headers.authorization ?? '');
  if (!m) return send(401, { error: 'invalid_token', error_description: 'no bearer token' });
  let payload;
  try {
    ({ payload } = await jose.jwtVerify(m[1], jose.createLocalJWKSet(jwksBody()), {
      issuer,
      audience: config.backends.map((b) => b.audience),
      algorithms: ['RS256', 'PS256', 'ES256'],
    }));
  } catch (e) {
    return send(401, { error: 'invalid_token', error_description: String(e.code ?? e.message) });
  }
  const peer = req.socket.getPeerCertificate?.(false);
  if (!peer?.raw || req.socket.authorized !== true) {
    return send(401, { error: 'invalid_token', error_description: 'no trusted client certificate' });
  }
  const pem = new crypto.X509Certificate(peer.raw).toString();
  const cnf = payload.cnf?.['x5t#S256'];
  if (cnf !== rfcThumbprint(pem) && cnf !== ansThumbprint(pem)) {
    return send(401, { error: 'invalid_token', error_description: 'certificate does not match cnf' });
  }
  return send(200, {
    SubjectNameID: payload.SubjectNameID, aud: payload.aud, scope: payload.scope,
    method: req.method, path: url.pathname,
  });
}

const callback = provider.callback();
function handler(req, res) {
  const url = new URL(req.url, issuer);
  if (url.pathname.startsWith('/backend/')) {
    backend(req, res, url).catch((e) => { console.error(e); res.destroy(); });
    return;
  }
  if (url.pathname === STD_DISCOVERY || !url.pathname.startsWith(PREFIX)) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return;
  }
  if (url.pathname === JWKS_PATH && req.method === 'GET') {
    jwksFetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jwksBody()));
    return;
  }
  req.originalUrl = req.url;
  if (url.pathname === PSC_DISCOVERY) {
    req.originalUrl = STD_DISCOVERY;
    req.url = '/.well-known/openid-configuration';
  } else {
    req.url = req.url.slice(PREFIX.length) || '/';
  }
  callback(req, res);
}

const tls = {
  key: readFileSync(config.server_key),
  cert: readFileSync(config.server_cert),
  ca: readFileSync(config.client_ca),
  requestCert: true,
  rejectUnauthorized: false,
};
const server = https.createServer(tls, handler);
const expired = https.createServer({
  ...tls,
  key: readFileSync(config.expired_key),
  cert: readFileSync(config.expired_cert),
}, handler);
await new Promise((resolve) => { server.listen(config.port, '127.0.0.1', resolve); });
await new Promise((resolve) => { expired.listen(0, '127.0.0.1', resolve); });

// A browser for the authorization endpoint: follows the redirections with its cookies until
// the redirect_uri, and returns that URL (the test checks it and redeems the code).
async function browse(start) {
  const jar = new Map();
  let url = new URL(start);
  for (let hops = 0; hops < 10; hops += 1) {
    if (!url.href.startsWith(`https://localhost:${config.port}/`)) return { redirect: url.href };
    const res = await new Promise((resolve, reject) => {
      const r = https.request(url, {
        method: 'GET',
        ca: SERVER_CA,
        headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
      }, resolve);
      r.on('error', reject);
      r.end();
    });
    res.resume();
    for (const c of res.headers['set-cookie'] ?? []) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    if (res.statusCode < 300 || res.statusCode >= 400 || !res.headers.location) {
      return { status: res.statusCode };
    }
    url = new URL(res.headers.location, url);
  }
  return { error: 'too many redirections' };
}

async function command(cmd) {
  switch (cmd.cmd) {
    case 'ciba_policy':
      cibaPolicies.set(cmd.login_hint, cmd);
      return { ok: true };
    case 'publish_key':
      published.add(cmd.kid);
      return { ok: true };
    case 'jwks_fetches':
      return { count: jwksFetches };
    case 'thumbprint_form':
      thumbprintForm = cmd.form;
      return { ok: true };
    case 'jwk': {
      return { jwk: keys[cmd.kid].pub };
    }
    case 'sign': {
      const key = keys[cmd.kid];
      const jws = await new jose.CompactSign(Buffer.from(JSON.stringify(cmd.claims)))
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...(cmd.header ?? {}) })
        .sign(key.privateKey);
      return { jws };
    }
    case 'revoke_grants': {
      // What PSC does when the session ends elsewhere: every token of the grants is dead.
      let revoked = 0;
      for (const id of grantsOf.get(cmd.login_hint) ?? []) {
        const grant = await provider.Grant.find(id);
        if (grant) {
          await grant.destroy();
          revoked += 1;
        }
      }
      grantsOf.delete(cmd.login_hint);
      return { revoked };
    }
    case 'browse':
      return browse(cmd.url);
    default:
      return { error: `unknown command ${cmd.cmd}` };
  }
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ error: String(e) })}\n`);
    return;
  }
  command(cmd).then(
    (answer) => process.stdout.write(`${JSON.stringify(answer)}\n`),
    (e) => process.stdout.write(`${JSON.stringify({ error: String(e) })}\n`),
  );
});
rl.on('close', () => process.exit(0));

process.stdout.write(`${JSON.stringify({
  ready: true, issuer, expired_port: expired.address().port,
})}\n`);
