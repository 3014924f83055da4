// Loaded (node --import) into the Bureau process the mail benchmarks start:
// every DNS query made through node:dns's resolvers is answered at once with
// "no such name", so that SPF, DKIM and DMARC checks of the benchmark's mail
// (from example.org) send nothing off the machine and take what a warm local
// cache takes. Benchmarks only; BENCH_DNS=system leaves DNS alone.
import dns from 'node:dns';

const notFound = (name: unknown): Promise<never> =>
  Promise.reject(Object.assign(new Error(`queryTxt ENOTFOUND ${String(name)}`), { code: 'ENOTFOUND', hostname: String(name) }));

const methods = ['resolve', 'resolve4', 'resolve6', 'resolveMx', 'resolveTxt', 'resolveCname', 'resolveNs', 'resolvePtr', 'reverse'] as const;
for (const m of methods) {
  (dns.promises.Resolver.prototype as unknown as Record<string, unknown>)[m] = notFound;
  (dns.promises as unknown as Record<string, unknown>)[m] = notFound;
}
