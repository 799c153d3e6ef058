/**
 * The simulated API server's certificates: a CA made on first start (kubeconfigs carry its data) and a server
 * certificate for the loopback names, both ECDSA P-256, kept in a directory the caller chooses and reused.
 * kubectl sends bearer tokens only over TLS, so this is what lets it talk to the simulator at all.
 */
// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

/** The PEM material the HTTPS server and the kubeconfigs need. */
export interface SimPki {
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

const FILES = { caCert: 'ca.crt', caKey: 'ca.key', serverCert: 'server.crt', serverKey: 'server.key' };
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Writes a file atomically (temp name, then rename) with owner-only permissions for keys. */
async function writeAtomic(path: string, content: string, mode: number): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode });
  await rename(tmp, path);
}

async function exportKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
}

/** Returns the CA and server certificate in `dir`, creating them on first use. */
export async function loadOrCreatePki(dir: string): Promise<SimPki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const paths = Object.fromEntries(Object.entries(FILES).map(([k, f]) => [k, join(dir, f)])) as typeof FILES;
  const [caCert, caKey, serverCert, serverKey] = await Promise.all([
    readIfExists(paths.caCert),
    readIfExists(paths.caKey),
    readIfExists(paths.serverCert),
    readIfExists(paths.serverKey),
  ]);
  if (caCert && caKey && serverCert && serverKey) {
    return { caCertPem: caCert, serverCertPem: serverCert, serverKeyPem: serverKey };
  }
  const now = Date.now();
  const notBefore = new Date(now - 3600_000);
  const notAfter = new Date(now + TEN_YEARS_MS);
  const caKeys = await generateKeys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex'),
    name: 'CN=strata-sim-ca',
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const serverKeys = await generateKeys();
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString('hex'),
    subject: 'CN=strata-sim-apiserver',
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const pki: SimPki = {
    caCertPem: ca.toString('pem'),
    serverCertPem: server.toString('pem'),
    serverKeyPem: await exportKeyPem(serverKeys.privateKey),
  };
  await writeAtomic(paths.caKey, await exportKeyPem(caKeys.privateKey), 0o600);
  await writeAtomic(paths.serverKey, pki.serverKeyPem, 0o600);
  await writeAtomic(paths.serverCert, pki.serverCertPem, 0o644);
  await writeAtomic(paths.caCert, pki.caCertPem, 0o644);
  return pki;
}

/** Returns the token secret stored in `dir` (`sim-token.secret`), creating a random one on first use. */
export async function loadOrCreateTokenSecret(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'sim-token.secret');
  const existing = await readIfExists(path);
  if (existing?.trim()) return existing.trim();
  const secret = randomBytes(32).toString('hex');
  await writeAtomic(path, `${secret}\n`, 0o600);
  return secret;
}
