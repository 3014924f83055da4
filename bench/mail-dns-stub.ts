// Loaded (node --import) into the Bureau process the mail benchmarks start:
// every DNS query made through node:dns's resolvers (promise and callback
// forms: mailauth's SPF, DKIM and DMARC lookups, imap-core's reverse lookup
// of each client before its greeting) is answered at once with "no such
// name", so that the benchmark's traffic sends nothing off the machine and
// costs what a warm local cache costs. Benchmarks only; BENCH_DNS=system
// leaves DNS alone.
import dns from 'node:dns';

const notFoundError = (name: unknown): Error =>
  Object.assign(new Error(`query ENOTFOUND ${String(name)}`), { code: 'ENOTFOUND', hostname: String(name) });
const notFound = (name: unknown): Promise<never> => Promise.reject(notFoundError(name));
function notFoundCallback(name: unknown, ...rest: unknown[]): void {
  const callback = rest[rest.length - 1];
  if (typeof callback === 'function') process.nextTick(() => (callback as (err: Error) => void)(notFoundError(name)));
}

const methods = ['resolve', 'resolve4', 'resolve6', 'resolveMx', 'resolveTxt', 'resolveCname', 'resolveNs', 'resolvePtr', 'reverse'] as const;
for (const m of methods) {
  (dns.promises.Resolver.prototype as unknown as Record<string, unknown>)[m] = notFound;
  (dns.promises as unknown as Record<string, unknown>)[m] = notFound;
  (dns.Resolver.prototype as unknown as Record<string, unknown>)[m] = notFoundCallback;
  (dns as unknown as Record<string, unknown>)[m] = notFoundCallback;
}
