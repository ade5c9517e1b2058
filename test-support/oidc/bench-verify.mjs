// The side-by-side figure of psc/benches/verify.rs: the same RS256 and ES256 ID tokens and JWKS
// (written by the bench to $SEGUR_PSC_BENCH_OUT) verified by the npm `jose` library, the JOSE
// implementation under oidc-provider and most Node.js OpenID clients.
//   SEGUR_PSC_BENCH_OUT=/tmp/t.json cargo bench -p segur-psc --bench verify
//   node test-support/oidc/bench-verify.mjs /tmp/t.json
import { readFileSync } from 'node:fs';
import * as jose from 'jose';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const jwks = jose.createLocalJWKSet(input.jwks);
const options = {
  issuer: input.issuer, audience: 'my-lgo', algorithms: ['RS256', 'PS256', 'ES256'], clockTolerance: 60,
};
for (const alg of ['rs256', 'es256']) {
  const token = input[alg];
  for (let i = 0; i < 2000; i += 1) await jose.jwtVerify(token, jwks, options); // warm-up
  const runs = [];
  for (let r = 0; r < 5; r += 1) {
    const n = 20000;
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i += 1) {
      const { payload } = await jose.jwtVerify(token, jwks, options);
      if (payload.nonce !== 'n-0S6_WzA2Mj' || payload.acr !== 'eidas1') throw new Error('claims');
    }
    runs.push(Number(process.hrtime.bigint() - start) / n / 1000);
  }
  runs.sort((a, b) => a - b);
  console.log(`jose ${alg.toUpperCase()}: median ${runs[2].toFixed(2)} µs per verification (runs ${runs.map((x) => x.toFixed(2)).join(' ')})`);
}
