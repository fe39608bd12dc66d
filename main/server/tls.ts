/**
 * The web host's certificate and key (`serve --tls-cert FILE --tls-key FILE`), read and checked
 * before the server starts, so a wrong file is named at once rather than failing every handshake.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'

export interface TlsFiles {
  /** PEM: the certificate (and any intermediates after it). */
  cert: Buffer
  /** PEM: its private key, unencrypted. */
  key: Buffer
}

/** Reads a PEM certificate and its key; throws naming the file and what is wrong with it. */
export async function loadTls(certFile: string, keyFile: string): Promise<TlsFiles> {
  const read = (file: string, what: string) =>
    readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`cannot read the TLS ${what} ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`)
    })
  const [cert, key] = await Promise.all([read(certFile, 'certificate'), read(keyFile, 'key')])
  let x509: X509Certificate
  try {
    x509 = new X509Certificate(cert)
  } catch (err) {
    throw new Error(`the TLS certificate ${certFile} is not a PEM certificate (${(err as Error).message}); give the file that starts with -----BEGIN CERTIFICATE-----`)
  }
  let privateKey
  try {
    privateKey = createPrivateKey(key)
  } catch (err) {
    throw new Error(`the TLS key ${keyFile} is not an unencrypted PEM private key (${(err as Error).message}); give the file that starts with -----BEGIN PRIVATE KEY-----`)
  }
  if (!x509.checkPrivateKey(privateKey)) throw new Error(`the TLS key ${keyFile} does not belong to the certificate ${certFile}`)
  if (new Date(x509.validTo).getTime() < Date.now()) throw new Error(`the TLS certificate ${certFile} expired on ${x509.validTo}`)
  return { cert, key }
}
