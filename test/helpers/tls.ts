// A certificate made on the fly with openssl (self-signed, for localhost and 127.0.0.1), in a
// temporary folder the caller removes.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireProgram } from '../../testkit/external.ts';

export const OPENSSL = requireProgram('openssl', 'TLS tests generate their certificate with openssl');

export interface TestCert {
  certPath: string;
  keyPath: string;
  cert: Buffer;
  key: Buffer;
}

export function makeCert(dir: string, commonName = 'localhost'): TestCert {
  if (!OPENSSL) throw new Error('openssl is not installed');
  const certPath = join(dir, `${commonName}.crt`);
  const keyPath = join(dir, `${commonName}.key`);
  execFileSync(OPENSSL, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', `/CN=${commonName}`,
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return { certPath, keyPath, cert: readFileSync(certPath), key: readFileSync(keyPath) };
}
