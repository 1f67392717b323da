// Test certificates, generated at test time with openssl (never committed): a client CA that
// also signs the server certificate (SAN 127.0.0.1, localhost), clients a1, a2, a-revoked, b1,
// unregistered, one expired in 2020 (same CA) and one from another CA ("stranger").
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const openssl = (args, cwd) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

// A CA, and certificates it signs; `expired` uses `openssl ca` with dates in the past.
export function makePki(dir) {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name) => {
    openssl(['req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '30', '-subj', `/CN=${name}`], dir);
  };
  const leaf = (name, caName, { san } = {}) => {
    openssl(['req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
    const ext = join(dir, `${name}.ext`);
    writeFileSync(ext, san ? `subjectAltName=${san}\n` : 'extendedKeyUsage=clientAuth\n');
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`,
      '-CAcreateserial', '-days', '30', '-extfile', ext, '-out', `${name}.crt`], dir);
  };
  ca('client-ca');
  ca('other-ca');
  leaf('server', 'client-ca', { san: 'IP:127.0.0.1,DNS:localhost' });
  for (const n of ['a1', 'a2', 'a-revoked', 'b1', 'unregistered']) leaf(n, 'client-ca');
  leaf('stranger', 'other-ca');
  // Expired: signed by the right CA, valid only in 2020.
  mkdirSync(join(dir, 'newcerts'));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(join(dir, 'ca.cnf'), `[ca]\ndefault_ca=d\n[d]\ndir=${dir}\ndatabase=${dir}/index.txt\n` +
    `new_certs_dir=${dir}/newcerts\ncertificate=${dir}/client-ca.crt\nprivate_key=${dir}/client-ca.key\n` +
    `serial=${dir}/serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n`);
  openssl(['req', '-new', ...ec, '-keyout', 'expired.key', '-out', 'expired.csr', '-subj', '/CN=expired'], dir);
  openssl(['ca', '-batch', '-config', 'ca.cnf', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z',
    '-in', 'expired.csr', '-out', 'expired.crt', '-notext'], dir);
  const id = (n) => ({ cert: readFileSync(join(dir, `${n}.crt`)), key: readFileSync(join(dir, `${n}.key`)), file: join(dir, `${n}.crt`) });
  return { dir, ca: readFileSync(join(dir, 'client-ca.crt')), id };
}

